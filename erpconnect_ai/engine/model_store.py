"""Per-product model files: joblib pickles with a version and a sha256 checksum.

Layout, in a directory the caller gives::

    product_<id>.joblib        the fitted model itself (``joblib.load`` returns it)
    product_<id>.joblib.json   sidecar: format, format version, product id, sha256 and size of the
                               .joblib bytes, scikit-learn/joblib versions, caller metadata

Both files are written to a temporary file in the same directory and moved into place with
``os.replace`` (atomic on POSIX): a reader sees the old pair or the new one, never a half-written
file. If a crash happens between the two moves, the checksum no longer matches and the model is
refitted; a worker killed while writing leaves a ``.*.tmp`` file that :func:`remove_leftovers`
deletes. The checksum is verified *before* unpickling, so a truncated or corrupted file is never
unpickled.

Pickles can run code when loaded, and a sidecar proves nothing by itself: whoever writes a
file can write a matching sidecar. The proof that a file is ours is its **checksum** (the sha256
of the sidecar's bytes, which hold the sha256 and size of the model bytes) kept by the caller
outside the directory (the addon keeps it in the database, ``erpconnect.model.file``). Pass the
directory as a :class:`ModelDirectory` holding the recorded checksums: a file without one, or
with another, is not unpickled (it is treated as missing and overwritten), and the checksums of
the files saved are collected in ``ModelDirectory.written`` for the caller to record. A plain
path trusts the sidecar alone (engine scripts and benchmarks).

:func:`load_model` never raises: a missing, truncated, corrupt or incompatible file gives
``LoadResult(model=None, metadata={}, reason="...")`` and the caller refits or falls back.
Reasons never name a path (they reach users in forecast warnings): an ``OSError`` is told by
its type and message only ("PermissionError: Permission denied").
"""

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import joblib

FORMAT = "erpconnect_ai.model"
FORMAT_VERSION = 1
MISSING = "no saved model"
#: Suffix of the temporary files of :func:`_atomic_write`.
TEMPORARY_SUFFIX = ".tmp"


class ModelDirectory(os.PathLike):
    """A model directory with the checksums its owner recorded for it.

    ``checksums`` maps product ids to the checksum (:func:`file_checksum`) recorded when the
    product's model was saved; :func:`load_model` refuses any other file. :func:`save_model`
    adds the checksum of each file it writes to ``written`` (product id → checksum), which the
    owner records. Usable wherever a path is (``os.fspath``, ``Path(...)``).
    """

    def __init__(self, path, checksums=None):
        self.path = os.fspath(path)
        self.checksums = {int(key): str(value) for key, value in (checksums or {}).items()}
        self.written = {}

    def __fspath__(self):
        return self.path

    def __repr__(self):
        return "ModelDirectory(%r, %d checksums)" % (self.path, len(self.checksums))


class LoadResult(NamedTuple):
    """``model`` (None when unusable), its ``metadata`` dict, and ``reason`` ("" when usable)."""

    model: object
    metadata: dict
    reason: str


def _sklearn_version():
    try:
        import sklearn
    except ImportError:  # pragma: no cover - sklearn is a requirement of the addon
        return ""
    return sklearn.__version__


def _minor(version):
    return ".".join(str(version).split(".")[:2])


def model_path(model_dir, product_id):
    """Path of a product's model file, ``<model_dir>/product_<id>.joblib``."""
    if isinstance(product_id, bool) or int(product_id) != product_id:
        raise ValueError("product_id must be an integer, got %r" % (product_id,))
    return Path(model_dir) / ("product_%d.joblib" % int(product_id))


def _sidecar(path):
    return path.with_name(path.name + ".json")


def _checksum(data):
    return hashlib.sha256(data).hexdigest()


def file_checksum(model_dir, product_id):
    """Checksum that proves a product's saved model: sha256 of its sidecar's bytes (the sidecar
    holds the sha256 and size of the model bytes). ``None`` when there is no sidecar."""
    try:
        return _checksum(_sidecar(model_path(model_dir, product_id)).read_bytes())
    except OSError:
        return None


def _atomic_write(path, data):
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``."""
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=".%s." % path.name, suffix=TEMPORARY_SUFFIX
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_model(model_dir, product_id, model, metadata=None):
    """Save ``model`` for ``product_id`` in ``model_dir`` (created if needed).

    Args:
        model_dir: directory of the model files.
        product_id: integer product id.
        model: any picklable object (an sklearn pipeline for the polynomial method).
        metadata: JSON-serialisable dict stored in the sidecar and returned by :func:`load_model`.

    Returns:
        "" when saved, otherwise the reason it could not be saved (the directory is not
        writable, the model or the metadata cannot be serialised). Never raises for those.
        When ``model_dir`` is a :class:`ModelDirectory`, the checksum of the saved file is
        added to its ``written`` (and replaces the one it expected).
    """
    path = model_path(model_dir, product_id)
    try:
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        payload = buffer.getvalue()
        sidecar = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "product_id": int(product_id),
            "sha256": _checksum(payload),
            "size": len(payload),
            "sklearn_version": _sklearn_version(),
            "joblib_version": joblib.__version__,
            "metadata": dict(metadata or {}),
        }
        header = json.dumps(sidecar, sort_keys=True).encode()
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, payload)
        _atomic_write(_sidecar(path), header)
    except Exception as error:  # pickling may raise anything (PicklingError, TypeError, …)
        return error_text(error)
    if isinstance(model_dir, ModelDirectory):
        model_dir.written[int(product_id)] = model_dir.checksums[int(product_id)] = _checksum(
            header
        )
    return ""


def load_model(model_dir, product_id):
    """Load the model saved for ``product_id``; never raises.

    Returns:
        :class:`LoadResult`. ``reason`` is "" when the model is usable, :data:`MISSING` when no
        file exists (or, in a :class:`ModelDirectory`, when its owner recorded no checksum for
        the product: a file nobody recorded is not ours), otherwise a short text: "checksum
        sidecar missing", "unreadable checksum sidecar", "format version 2, expected 1", "saved
        with scikit-learn 1.4, running 1.6", "saved for product 7", "truncated (… of …
        bytes)", "size mismatch (…)", "checksum mismatch", "cannot be unpickled (…)".
    """
    try:
        path = model_path(model_dir, product_id)
    except (TypeError, ValueError) as error:
        return LoadResult(None, {}, "invalid product id (%s)" % error)
    try:
        if not path.exists():
            return LoadResult(None, {}, MISSING)
        recorded = None
        if isinstance(model_dir, ModelDirectory):
            recorded = model_dir.checksums.get(int(product_id))
            if recorded is None:
                return LoadResult(None, {}, MISSING)
        sidecar_path = _sidecar(path)
        if not sidecar_path.exists():
            return LoadResult(None, {}, "checksum sidecar missing")
        header = sidecar_path.read_bytes()
        if recorded is not None and _checksum(header) != recorded:
            return LoadResult(None, {}, "checksum mismatch (not the file saved)")
        try:
            sidecar = json.loads(header.decode("utf-8"))
            expected_sha, expected_size = str(sidecar["sha256"]), int(sidecar["size"])
            version, owner = sidecar["format_version"], sidecar["product_id"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return LoadResult(None, {}, "unreadable checksum sidecar")
        if sidecar.get("format") != FORMAT or version != FORMAT_VERSION:
            return LoadResult(
                None, {}, "format version %s, expected %d" % (version, FORMAT_VERSION)
            )
        if owner != int(product_id):
            return LoadResult(None, {}, "saved for product %s" % owner)
        saved_sklearn = str(sidecar.get("sklearn_version", ""))
        if _minor(saved_sklearn) != _minor(_sklearn_version()):
            return LoadResult(
                None,
                {},
                "saved with scikit-learn %s, running %s"
                % (_minor(saved_sklearn) or "?", _minor(_sklearn_version())),
            )
        payload = path.read_bytes()
        if len(payload) < expected_size:
            return LoadResult(
                None, {}, "truncated (%d of %d bytes)" % (len(payload), expected_size)
            )
        if len(payload) > expected_size:
            return LoadResult(
                None, {}, "size mismatch (%d bytes, expected %d)" % (len(payload), expected_size)
            )
        if _checksum(payload) != expected_sha:
            return LoadResult(None, {}, "checksum mismatch")
        metadata = sidecar.get("metadata") or {}
        if not isinstance(metadata, dict):
            return LoadResult(None, {}, "unreadable checksum sidecar")
    except OSError as error:
        return LoadResult(None, {}, "unreadable (%s)" % error_text(error))
    try:
        model = joblib.load(io.BytesIO(payload))
    except Exception as error:  # unpickling can raise anything
        return LoadResult(None, {}, "cannot be unpickled (%s)" % type(error).__name__)
    return LoadResult(model, metadata, "")


def delete_model(model_dir, product_id):
    """Remove a product's model and sidecar if present; returns "" or the OS error text."""
    path = model_path(model_dir, product_id)
    try:
        path.unlink(missing_ok=True)
        _sidecar(path).unlink(missing_ok=True)
    except OSError as error:
        return error_text(error)
    return ""


def error_text(error):
    """``"Type: message"`` of ``error``, without the file names an ``OSError`` carries."""
    if isinstance(error, OSError) and error.strerror:
        return "%s: %s" % (type(error).__name__, error.strerror)
    return "%s: %s" % (type(error).__name__, error)


def remove_leftovers(model_dir):
    """Delete the temporary files a killed writer left in ``model_dir`` (``.*.tmp``).

    Call it when no other process writes in the directory (the addon does at the start of a
    company's analysis, under the company's lock). Returns the number of files removed; never
    raises (a missing directory has none).
    """
    removed = 0
    try:
        entries = list(os.scandir(model_dir))
    except OSError:
        return 0
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(TEMPORARY_SUFFIX):
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed += 1
    return removed
