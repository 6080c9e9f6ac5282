# What the real Jekyll publishes for a site folder, as JSON.
#
#   ruby jekyll_urls.rb SOURCE OUT.json [TIME]
#
# Reads the site through Jekyll's own API (no plugins, no rendering): every
# post, collection document and page Jekyll would write, with its URL, the
# absolute_url filter's result, its date, categories and tags; and the
# static files it would copy.  TIME (ISO 8601) fixes site.time, the "now"
# that decides which posts are in the future.  A site Jekyll refuses to read
# gives {"error": "..."}.
require "jekyll"
require "json"
require "pathname"

source, out, now = ARGV
source = File.expand_path(source)

class UrlFilters
  include Jekyll::Filters::URLFilters

  def initialize(site)
    @context = Liquid::Context.new({}, {}, { :site => site })
  end
end

def relative(site, path)
  Pathname.new(path).relative_path_from(Pathname.new(site.source)).to_s
end

def entry(site, filters, thing, type)
  dest = Pathname.new(thing.destination(site.dest)).relative_path_from(Pathname.new(site.dest)).to_s
  data = thing.data
  row = {
    "type"         => type,
    "url"          => thing.url,
    "absolute_url" => filters.absolute_url(thing.url),
    "output_ext"   => thing.output_ext,
    "destination"  => dest,
  }
  if thing.is_a?(Jekyll::Document)
    row["date"] = thing.date.iso8601
    row["categories"] = Array(data["categories"]).map(&:to_s)
    row["tags"] = Array(data["tags"]).map(&:to_s)
    row["title"] = data["title"].to_s
  end
  row
end

result = begin
  overrides = {
    "source" => source, "destination" => File.join(source, "_site"),
    "quiet" => true, "plugins" => [], "theme" => nil,
  }
  overrides["time"] = now if now
  site = Jekyll::Site.new(Jekyll.configuration(overrides))
  site.read
  filters = UrlFilters.new(site)
  published = {}
  site.collections.each do |label, collection|
    collection.docs.each do |doc|
      published[relative(site, doc.path)] = entry(site, filters, doc, label) if doc.write?
    end
  end
  site.pages.each do |page|
    published[page.relative_path] = entry(site, filters, page, "pages")
  end
  statics = site.static_files.map { |f| relative(site, f.path) }
  { "published" => published, "static" => statics, "timezone" => ENV["TZ"].to_s }
rescue StandardError, LoadError => e
  { "error" => "#{e.class}: #{e.message}".lines.first.to_s.strip }
end

File.write(out, JSON.pretty_generate(result))
