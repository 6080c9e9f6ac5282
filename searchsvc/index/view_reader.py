"""A read-only file over a memoryview (whoosh_internals' mapped segment parts)."""

from __future__ import annotations


class ViewReader:
    """A read-only file over a memoryview, without copying it."""

    def __init__(self, view: memoryview):
        self._view = view
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = max(self._pos, end)
        return data

    def peek(self, size: int = 0) -> bytes:
        # pickle.load reads ahead through peek: one call a pickle, not one an opcode
        return bytes(self._view[self._pos : self._pos + min(max(size, 1), 4096)])

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        view = self._view[self._pos :]
        limit = len(view) if size is None or size < 0 else min(size, len(view))
        newline = bytes(view[:limit]).find(b"\n")
        return self.read(limit if newline == -1 else newline + 1)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._view))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass
