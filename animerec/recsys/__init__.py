"""animerec's recommender library (no Discord, no asyncio, no SQLite)."""

import os
import stat
import tempfile
from pathlib import Path


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()  # a real write: read-only mounts pass os.access
    except OSError:
        return False
    return True


def _private_temp_dir() -> str:
    """A temp dir only this user can write: numba loads what it finds in its cache."""
    path = Path(tempfile.gettempdir()) / f"animerec-numba-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = path.lstat()
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077:
            return str(path)
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="animerec-numba-")


def _numba_cache_fallback() -> None:
    """Compiled kernels are cached (njit(cache=True)) beside the sources or, failing that, in the
    user's cache dir; with neither writable numba fails at import. Before numba is imported, point
    NUMBA_CACHE_DIR at a writable place then, unless the environment chose one."""
    if "NUMBA_CACHE_DIR" in os.environ or _writable(Path(__file__).resolve().parent / "__pycache__"):
        return
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"))
    if user_cache.is_absolute() and _writable(user_cache / "animerec" / "numba"):
        os.environ["NUMBA_CACHE_DIR"] = str(user_cache / "animerec" / "numba")
    else:
        os.environ["NUMBA_CACHE_DIR"] = _private_temp_dir()


_numba_cache_fallback()
