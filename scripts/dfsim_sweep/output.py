"""The sweep's table files in OUT, committed as one set: sweep.csv, sweep.parquet (when
pyarrow imports), sweep.json and plots/*.png.

Every file is first written in full to a temporary name in its final folder (`.tmp-<pid>-<name>`,
which the next sweep removes if this one is killed), flushed and fsynced; only when all of
them are written are they renamed over the old files, in this order: the charts, sweep.parquet,
sweep.csv, sweep.json (last: a sweep.json always describes a complete table); then the folders
are fsynced. A kill between two renames leaves each file either its old or its new complete
version, never a truncated one. Any OSError (a full disk, say) while writing removes every
temporary file and raises OutputError naming the file; the old files stay as they were.
"""

import os
import shutil

from .task import TMP_PREFIX


class OutputError(Exception):
    """Writing or committing an output file failed: `path` and `why` (the OS's message)."""

    def __init__(self, path, why):
        super().__init__(f"writing {path}: {why}")
        self.path, self.why = path, why


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileSet:
    """Files written to temporary names and renamed together by commit() (see the module
    docstring), in the order of their rank (then of registration). abort() (also called on
    any failure) removes the temporaries."""

    def __init__(self):
        self._files = []  # [rank, temporary path, final path]
        self._dirs = []  # temporary folders, removed by commit() and abort()

    def add(self, tmp, final, rank=0):
        """Registers a temporary file written by someone else (on the file system of
        `final`)."""
        self._files.append((rank, tmp, final))

    def temp_path(self, final, rank=0):
        """Registers `final` and returns the temporary path (in its folder) to write it to."""
        folder, name = os.path.split(final)
        tmp = os.path.join(folder, f"{TMP_PREFIX}{os.getpid()}-{name}")
        self.add(tmp, final, rank)
        return tmp

    def temp_of(self, final):
        """The temporary path of a registered final path."""
        return next(t for _, t, f in self._files if f == final)

    def temp_dir(self, final_dir):
        """A fresh temporary folder beside `final_dir` (for files to be moved into it), removed
        by commit() and abort()."""
        parent, name = os.path.split(final_dir)
        path = os.path.join(parent, f"{TMP_PREFIX}{os.getpid()}-{name}")
        shutil.rmtree(path, ignore_errors=True)
        self._dirs.append(path)
        return path

    def open(self, final, rank=0):
        """A text file object (UTF-8, LF) writing the temporary of `final`; close it with
        close(), which flushes and fsyncs. OutputError if it cannot be created."""
        tmp = self.temp_path(final, rank)
        try:
            return open(tmp, "w", encoding="utf-8", newline="\n")
        except OSError as e:
            self.abort()
            raise OutputError(final, e.strerror or str(e)) from None

    def close(self, f):
        """Flushes, fsyncs and closes a file from open(); OutputError on failure."""
        final = next(fin for _, t, fin in self._files if t == f.name)
        try:
            try:
                f.flush()
                os.fsync(f.fileno())
            finally:
                f.close()
        except OSError as e:
            self.abort()
            raise OutputError(final, e.strerror or str(e)) from None

    def sync(self, final):
        """fsyncs the temporary of `final` (a file written by someone else, e.g. a chart)."""
        try:
            fd = os.open(self.temp_of(final), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            self.abort()
            raise OutputError(final, e.strerror or str(e)) from None

    def commit(self):
        """Renames every temporary over its final name, by rank, then fsyncs the folders and
        removes the temporary folders. OutputError when a rename fails (the files renamed
        before it are new, the others old; the remaining temporaries are removed)."""
        self._files.sort(key=lambda entry: entry[0])  # stable: registration order within
        folders = []
        while self._files:
            _, tmp, final = self._files[0]
            try:
                os.replace(tmp, final)
            except OSError as e:
                self.abort()
                raise OutputError(final, e.strerror or str(e)) from None
            self._files.pop(0)
            folder = os.path.dirname(final)
            if folder not in folders:
                folders.append(folder)
        self.abort()  # the temporary folders (now empty)
        try:
            for folder in folders:
                _fsync_dir(folder)
        except OSError as e:
            raise OutputError(folder, e.strerror or str(e)) from None

    def abort(self):
        """Removes every temporary file not yet renamed, and the temporary folders."""
        for _, tmp, _ in self._files:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        for path in self._dirs:
            shutil.rmtree(path, ignore_errors=True)
        self._files, self._dirs = [], []
