"""Property tests: the layer's bytes depend on the entries only, never on how or where they were made.

Random trees (long names, UTF-8 names, symlinks, hard links, empty files, executables)
are materialized twice: once canonically, once in shuffled order with random mtimes,
umask, owners, time zone and locale; and added either as a tree or entry by entry in
shuffled order. Both layers must be byte-identical.
"""

from __future__ import annotations

import contextlib
import io
import locale
import os
import random
import tarfile
import tempfile
import time
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools.layer.builder import LayerBuilder

COMPONENT = st.one_of(
    st.text(alphabet="abcXYZ019-_. ", min_size=1, max_size=8),
    st.text(alphabet="aé日ü€x", min_size=1, max_size=6),
    st.integers(90, 160).map(lambda n: "L" * n),  # forces prefix splits and PAX paths
).filter(lambda name: name not in (".", ".."))

LINK_TARGET = st.text(alphabet="ab/.é-", min_size=1, max_size=120)


@st.composite
def tree_models(draw) -> dict[tuple[str, ...], tuple]:
    """{path components: ("dir",) | ("file", bytes, executable) | ("symlink", target) | ("link", path)}."""
    model: dict[tuple[str, ...], tuple] = {}
    for directory in draw(st.lists(st.lists(COMPONENT, min_size=1, max_size=3), max_size=4)):
        for depth in range(1, len(directory) + 1):
            model[tuple(directory[:depth])] = ("dir",)
    parents = [()] + sorted(model)
    for _ in range(draw(st.integers(1, 10))):
        path = draw(st.sampled_from(parents)) + (draw(COMPONENT),)
        if path in model:
            continue
        kind = draw(st.sampled_from(["file", "exec", "empty", "symlink", "link"]))
        if kind == "symlink":
            model[path] = ("symlink", draw(LINK_TARGET))
        elif kind == "link":
            files = sorted(p for p, spec in model.items() if spec[0] == "file")
            if files:
                model[path] = ("link", draw(st.sampled_from(files)))
        else:
            content = b"" if kind == "empty" else draw(st.binary(max_size=3000))
            model[path] = ("file", content, kind == "exec")
    return model


def _materialize(model, root: str, rng: random.Random | None) -> None:
    """Creates the tree; with `rng`, in random order with random umask, times and owners."""
    umask = 0o022 if rng is None else rng.choice([0o022, 0o002, 0o077, 0o027, 0o007])
    old_umask = os.umask(umask)
    try:
        first = [p for p, spec in model.items() if spec[0] != "link"]
        links = [p for p, spec in model.items() if spec[0] == "link"]
        for batch in (first, links):
            batch = sorted(batch) if rng is None else rng.sample(batch, len(batch))
            for path in batch:
                spec = model[path]
                full = os.path.join(root, *path)
                os.makedirs(os.path.dirname(full), exist_ok=True)  # parents may come later in a shuffle
                if spec[0] == "dir":
                    os.makedirs(full, exist_ok=True)
                elif spec[0] == "file":
                    with open(full, "wb") as f:
                        f.write(spec[1])
                    if spec[2]:
                        os.chmod(full, 0o777 & ~umask)
                elif spec[0] == "symlink":
                    os.symlink(spec[1], full)
                else:
                    os.link(os.path.join(root, *spec[1]), full)
    finally:
        os.umask(old_umask)
    if rng is None:
        return
    for path in model:
        full = os.path.join(root, *path)
        stamp = rng.randrange(0, 2**31)
        os.utime(full, (stamp, stamp), follow_symlinks=False)
        if CAN_CHOWN:
            os.lchown(full, rng.randrange(1, 70000), rng.randrange(1, 70000))


def _can_chown() -> bool:
    """Root outside a user namespace can give files to any uid; elsewhere chown fails."""
    with tempfile.NamedTemporaryFile() as probe:
        try:
            os.chown(probe.name, 4242, 4343)
        except OSError:
            return False
    return True


CAN_CHOWN = _can_chown()


def _add_entry_by_entry(builder: LayerBuilder, model, root: str, prefix: str, rng: random.Random) -> None:
    if prefix:
        builder.add_directory(prefix)
    for path in rng.sample(sorted(model), len(model)):
        spec = model[path]
        name = "/".join((prefix,) + path if prefix else path)
        full = os.path.join(root, *path)
        if spec[0] == "dir":
            builder.add_directory(rng.choice([name, "./" + name, name + "/"]))
        elif spec[0] == "symlink":
            builder.add_symlink(name, spec[1])
        else:  # a hard link on disk is just another file with the same bytes
            builder.add_file(name, full)


@contextlib.contextmanager
def _environment(rng: random.Random) -> Iterator[None]:
    saved_tz = os.environ.get("TZ")
    saved_locale = locale.setlocale(locale.LC_ALL)
    try:
        # POSIX TZ rules need no tzdata: UTC, Chatham (+12:45 with DST), Kathmandu, St. John's.
        os.environ["TZ"] = rng.choice(["UTC0", "CHAST-12:45CHADT,M9.5.0/2:45,M4.1.0/3:45", "NPT-5:45",
                                       "NST3:30NDT,M3.2.0,M11.1.0"])
        time.tzset()
        try:
            locale.setlocale(locale.LC_ALL, rng.choice(["C.UTF-8", "POSIX", "C"]))
        except locale.Error:  # C.UTF-8 may be missing in minimal environments
            locale.setlocale(locale.LC_ALL, "C")
        yield
    finally:
        if saved_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved_tz
        time.tzset()
        locale.setlocale(locale.LC_ALL, saved_locale)


def _layer(builder: LayerBuilder, threads: int = 1) -> tuple[bytes, str, str]:
    out = io.BytesIO()
    plain = builder.write(out, compression="none")
    gzipped = builder.write(io.BytesIO(), compression="gzip", threads=threads)
    assert gzipped.diff_id == plain.diff_id
    return out.getvalue(), plain.digest, gzipped.digest


def test_owners_of_source_files_do_not_reach_the_layer():
    """The property test below varies owners only where chown works: here, that it really does
    (every varied entry belongs to another user) and that the layer shows none of them."""
    if not CAN_CHOWN:
        pytest.skip("cannot chown files to other uids here (not root, or in a user namespace); "
                    "the property test runs without varying owners")
    model = {("d",): ("dir",), ("d", "f"): ("file", b"data", False), ("d", "x"): ("file", b"#!", True),
             ("l",): ("symlink", "d/f")}
    with tempfile.TemporaryDirectory() as canonical_root, tempfile.TemporaryDirectory() as varied_root:
        _materialize(model, canonical_root, None)
        _materialize(model, varied_root, random.Random(7))
        owners = [os.lstat(os.path.join(varied_root, *path)) for path in model]
        assert all(st.st_uid != 0 and st.st_gid != 0 for st in owners)
        layers = []
        for root in (canonical_root, varied_root):
            builder = LayerBuilder()
            builder.add_tree("", root)
            layers.append(_layer(builder))
    assert layers[0] == layers[1]
    with tarfile.open(fileobj=io.BytesIO(layers[1][0])) as tar:
        assert {(m.uid, m.gid, m.uname, m.gname) for m in tar} == {(0, 0, "", "")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=tree_models(), seed=st.integers(0, 2**32), prefix=st.sampled_from(["", "opt/app"]))
def test_layer_bytes_independent_of_order_times_umask_owners_tz_locale(model, seed, prefix):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as canonical_root, tempfile.TemporaryDirectory() as varied_root:
        _materialize(model, canonical_root, None)
        reference = LayerBuilder()
        reference.add_tree(prefix, canonical_root)
        expected = _layer(reference)

        _materialize(model, varied_root, rng)
        with _environment(rng):
            varied = LayerBuilder()
            if rng.random() < 0.5:
                varied.add_tree(prefix, varied_root)
            else:
                _add_entry_by_entry(varied, model, varied_root, prefix, rng)
            assert _layer(varied, threads=rng.randint(1, 3)) == expected


@st.composite
def operations(draw) -> list[tuple]:
    """add_* calls for files, directories with modes, symlinks and hard links (incl. identical repeats)."""
    names = draw(st.lists(st.lists(COMPONENT, min_size=1, max_size=3).map("/".join), min_size=1, max_size=8,
                          unique=True))
    # Keep only paths none of which is a parent of another: files cannot be directories too.
    names = [n for n in names if not any(other.startswith(n + "/") for other in names)]
    calls: list[tuple] = []
    files = []
    for name in names:
        kind = draw(st.sampled_from(["bytes", "bytes", "symlink", "dir", "hardlink"]))
        if kind == "bytes":
            mode = draw(st.sampled_from([None, 0o600, 0o755, 0o4755, 0o2711]))
            calls.append(("add_bytes", name, draw(st.binary(max_size=600)), mode))
            files.append(name)
        elif kind == "symlink":
            calls.append(("add_symlink", name, draw(LINK_TARGET)))
        elif kind == "dir":
            calls.append(("add_directory", name, draw(st.sampled_from([None, 0o700, 0o1777]))))
        elif files:
            calls.append(("add_hardlink", name, draw(st.sampled_from(files))))
    repeats = draw(st.lists(st.sampled_from(calls), max_size=3)) if calls else []
    return calls + repeats


@settings(max_examples=60, deadline=None)
@given(calls=operations(), seed=st.integers(0, 2**32))
def test_layer_bytes_independent_of_call_order(calls, seed):
    def build(order):
        builder = LayerBuilder(mtime=1234)
        for method, *args in order:
            getattr(builder, method)(*args)
        return _layer(builder, threads=2), builder.entries()

    first = build(calls)
    second = build(random.Random(seed).sample(calls, len(calls)))
    assert second == first
    paths = [entry.path for entry in first[1]]
    assert paths == sorted(set(paths), key=lambda p: p.encode())
    seen = set()
    for entry in first[1]:  # a hard link's target always comes earlier in the stream
        if entry.type == "hardlink":
            assert entry.target in seen
        seen.add(entry.path)
