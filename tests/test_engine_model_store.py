"""engine.model_store: versioned, checksummed, atomically written per-product joblib files."""

import hashlib
import io
import json
import os
from pathlib import Path

import joblib
import numpy as np
import pytest
from engine import model_store
from engine.polynomial import build_pipeline

X = np.arange(-9.0, 1.0)


@pytest.fixture
def pipeline():
    # y = 2 + 3x exactly → predicts 2 + 3·1 = 5 at x = 1
    return build_pipeline(X, 2 + 3 * X)


def sidecar(tmp_path, product_id=1):
    return tmp_path / ("product_%d.joblib.json" % product_id)


def test_round_trip(tmp_path, pipeline):
    assert model_store.save_model(tmp_path, 1, pipeline, {"as_of": "2024-01-31"}) == ""
    assert (tmp_path / "product_1.joblib").exists()
    loaded = model_store.load_model(tmp_path, 1)
    assert loaded.reason == ""
    assert loaded.metadata == {"as_of": "2024-01-31"}
    assert loaded.model.predict([[1.0]])[0] == pytest.approx(5.0)
    # the .joblib file itself is a plain sklearn pipeline for external scripts
    assert joblib.load(tmp_path / "product_1.joblib").predict([[1.0]])[0] == pytest.approx(5.0)
    header = json.loads(sidecar(tmp_path).read_text())
    assert header["format_version"] == model_store.FORMAT_VERSION
    assert len(header["sha256"]) == 64
    # atomic writes leave no temporary file behind
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "product_1.joblib",
        "product_1.joblib.json",
    ]


def test_missing_file(tmp_path):
    result = model_store.load_model(tmp_path, 42)
    assert (result.model, result.reason) == (None, model_store.MISSING)
    # the directory itself missing is the same
    assert model_store.load_model(tmp_path / "nowhere", 42).reason == model_store.MISSING


def rewrite_sidecar(tmp_path, **changes):
    header = json.loads(sidecar(tmp_path).read_text())
    header.update(changes)
    sidecar(tmp_path).write_text(json.dumps(header))


def model_file(directory):
    return directory / "product_1.joblib"


def truncate(directory):
    model_file(directory).write_bytes(model_file(directory).read_bytes()[:-10])


def zero_fill(directory):
    model_file(directory).write_bytes(bytes(len(model_file(directory).read_bytes())))


def append_byte(directory):
    model_file(directory).write_bytes(model_file(directory).read_bytes() + b"x")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (truncate, "truncated"),  # the last 10 bytes lost
        (zero_fill, "checksum mismatch"),  # same size, other content
        (append_byte, "size mismatch"),
        (lambda d: rewrite_sidecar(d, format_version=99), "format version 99, expected 1"),
        (lambda d: rewrite_sidecar(d, sklearn_version="0.1.0"), "saved with scikit-learn 0.1,"),
        (lambda d: rewrite_sidecar(d, product_id=2), "saved for product 2"),
        (lambda d: sidecar(d).write_text("{not json"), "unreadable checksum sidecar"),
        (lambda d: sidecar(d).write_text('{"format": "x"}'), "unreadable checksum sidecar"),
        (lambda d: sidecar(d).unlink(), "checksum sidecar missing"),
    ],
)
def test_damaged_or_incompatible_files_give_a_reason_not_an_exception(
    tmp_path, pipeline, damage, reason
):
    model_store.save_model(tmp_path, 1, pipeline)
    damage(tmp_path)
    result = model_store.load_model(tmp_path, 1)
    assert result.model is None
    assert result.reason.startswith(reason), result.reason


class _Tripwire:
    """Unpickling this object creates the directory ``path``: proves a file was (or was not)
    unpickled. (A callable of the test module would be pickled with a copy of its state.)"""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_checksum_is_verified_before_unpickling(tmp_path, pipeline):
    model_store.save_model(tmp_path, 1, pipeline)
    buffer = io.BytesIO()
    marker = tmp_path / "unpickled"
    joblib.dump(_Tripwire(marker), buffer)
    (tmp_path / "product_1.joblib").write_bytes(buffer.getvalue())  # sidecar no longer matches
    result = model_store.load_model(tmp_path, 1)
    assert result.reason.startswith(("checksum mismatch", "truncated", "size mismatch"))
    assert not marker.exists()


def test_valid_checksum_but_garbage_payload(tmp_path):
    garbage = b"this is not a pickle at all"
    (tmp_path / "product_3.joblib").write_bytes(garbage)
    model_store.save_model(tmp_path, 9, 1.0)  # a valid sidecar to borrow
    header = json.loads(sidecar(tmp_path, 9).read_text())
    header.update(product_id=3, size=len(garbage), sha256=hashlib.sha256(garbage).hexdigest())
    sidecar(tmp_path, 3).write_text(json.dumps(header))
    result = model_store.load_model(tmp_path, 3)
    assert result.model is None
    assert result.reason.startswith("cannot be unpickled")


def test_save_problems_are_returned_not_raised(tmp_path, pipeline):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert model_store.save_model(blocker, 1, pipeline).startswith("FileExistsError")
    # metadata that JSON cannot store
    assert model_store.save_model(tmp_path, 1, pipeline, {"bad": object()}).startswith("TypeError")
    assert not (tmp_path / "product_1.joblib").exists()
    # something that cannot be pickled
    assert model_store.save_model(tmp_path, 1, lambda: None) != ""


def test_overwrite_replaces_both_files(tmp_path, pipeline):
    model_store.save_model(tmp_path, 1, pipeline, {"version": 1})
    model_store.save_model(tmp_path, 1, build_pipeline(X, 5 - X), {"version": 2})
    loaded = model_store.load_model(tmp_path, 1)
    assert loaded.metadata == {"version": 2}
    assert loaded.model.predict([[1.0]])[0] == pytest.approx(4.0)  # 5 - 1
    assert model_store.delete_model(tmp_path, 1) == ""
    assert model_store.load_model(tmp_path, 1).reason == model_store.MISSING


def test_product_id_must_be_an_integer(tmp_path):
    with pytest.raises(ValueError):
        model_store.model_path(tmp_path, 1.5)
    assert model_store.load_model(tmp_path, 1.5).reason.startswith("invalid product id")


# -- checksums kept by the caller (the database) ---------------------------------------------------
def plant(directory, product_id, payload_object):
    """A model file and a sidecar that matches it, as anyone who can write there can make."""
    buffer = io.BytesIO()
    joblib.dump(payload_object, buffer)
    payload = buffer.getvalue()
    model_store.save_model(directory, 99, 1.0)  # a valid sidecar to copy
    header = json.loads(sidecar(directory, 99).read_text())
    header.update(
        product_id=product_id, size=len(payload), sha256=hashlib.sha256(payload).hexdigest()
    )
    (directory / ("product_%d.joblib" % product_id)).write_bytes(payload)
    sidecar(directory, product_id).write_text(json.dumps(header))


def test_model_directory_records_what_it_saves(tmp_path, pipeline):
    directory = model_store.ModelDirectory(tmp_path, {})
    assert model_store.save_model(directory, 1, pipeline, {"as_of": "2024-01-31"}) == ""
    # the checksum to record is the sha256 of the sidecar's bytes
    expected = hashlib.sha256(sidecar(tmp_path).read_bytes()).hexdigest()
    assert directory.written == {1: expected}
    assert model_store.file_checksum(tmp_path, 1) == expected
    reloaded = model_store.ModelDirectory(tmp_path, {1: expected})
    loaded = model_store.load_model(reloaded, 1)
    assert (loaded.reason, loaded.metadata) == ("", {"as_of": "2024-01-31"})
    assert loaded.model.predict([[1.0]])[0] == pytest.approx(5.0)


def test_a_file_nobody_recorded_is_not_loaded(tmp_path):
    # A consistent pair planted in the directory: a plain path would trust it...
    marker = tmp_path / "unpickled"
    plant(tmp_path, 3, _Tripwire(marker))
    assert model_store.load_model(tmp_path, 3).reason == ""
    assert marker.exists()
    marker.rmdir()
    # ...the directory of the database's checksums treats it as no model at all.
    result = model_store.load_model(model_store.ModelDirectory(tmp_path, {}), 3)
    assert (result.model, result.reason) == (None, model_store.MISSING)
    assert not marker.exists()


def test_a_replaced_file_does_not_match_its_recorded_checksum(tmp_path, pipeline):
    directory = model_store.ModelDirectory(tmp_path, {})
    model_store.save_model(directory, 3, pipeline)
    recorded = dict(directory.written)
    marker = tmp_path / "unpickled"
    plant(tmp_path, 3, _Tripwire(marker))
    result = model_store.load_model(model_store.ModelDirectory(tmp_path, recorded), 3)
    assert (result.model, result.reason) == (None, "checksum mismatch (not the file saved)")
    assert not marker.exists()


def test_model_directory_is_a_path(tmp_path):
    directory = model_store.ModelDirectory(tmp_path / "models", {"7": "ab"})
    assert Path(directory) == tmp_path / "models"
    assert directory.checksums == {7: "ab"}
    assert model_store.model_path(directory, 7) == tmp_path / "models" / "product_7.joblib"


def test_remove_leftovers_deletes_temporary_files_only(tmp_path, pipeline):
    model_store.save_model(tmp_path, 1, pipeline)
    (tmp_path / ".product_1.joblib.abc123.tmp").write_bytes(b"half")
    (tmp_path / ".product_2.joblib.json.x.tmp").write_bytes(b"half")
    (tmp_path / "notes.tmp").write_text("not ours")
    assert model_store.remove_leftovers(tmp_path) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "notes.tmp",
        "product_1.joblib",
        "product_1.joblib.json",
    ]
    assert model_store.remove_leftovers(tmp_path / "missing") == 0
