"""The repository rule that fetches one Maven artifact named in a lock, by sha256 only.

The download goes through Bazel's repository cache under the lock's sha256, so the file is the
published artifact byte for byte, wherever it was fetched from. A mirror that serves other bytes
fails the fetch with a message naming the artifact, the lock, both hashes and what to do, not
Bazel's generic checksum error.
"""

def mismatch_message(coordinates, file, lock, relock, urls, expected, actual):
    """The error for a download whose bytes are not the locked ones.

    Args:
      coordinates: `group:artifact[:packaging[:classifier]]:version`.
      file: the artifact's file name.
      lock: label of the lock file, as users write it.
      relock: the command that re-locks it.
      urls: the URLs tried.
      expected: sha256 in the lock.
      actual: sha256 of what was downloaded.

    Returns:
      The message (one paragraph).
    """
    return ("maven artifact %s (%s) does not match the lock %s: expected sha256 %s, got %s from %s. " +
            "If the artifact was re-published, re-lock with `%s` and review the change; otherwise " +
            "check the mirror or proxy that served it (e.g. a --downloader_config rewrite).") % (
        coordinates,
        file,
        lock,
        expected,
        actual,
        " or ".join(urls),
        relock,
    )

def _maven_artifact_impl(rctx):
    file = rctx.attr.file
    pinned = rctx.download(url = rctx.attr.urls, output = file, sha256 = rctx.attr.sha256, allow_fail = True)
    if not pinned.success:
        # Find out why: fetch the bytes unpinned (outside the repository cache) and compare. Bazel
        # refuses unpinned plain-http downloads, so only https (and file) URLs can tell.
        probe_urls = [u for u in rctx.attr.urls if not u.startswith("http://")]
        probe = struct(success = False)
        if probe_urls:
            probe = rctx.download(url = probe_urls, output = "_probe/" + file, allow_fail = True)
            rctx.delete("_probe")
        if probe.success and probe.sha256 != rctx.attr.sha256:
            fail(mismatch_message(
                rctx.attr.coordinates,
                file,
                rctx.attr.lock,
                rctx.attr.relock,
                probe_urls,
                rctx.attr.sha256,
                probe.sha256,
            ))
        if not probe.success:
            fail(("maven artifact %s (%s) of the lock %s: the download from %s failed or does not have the " +
                  "locked sha256 %s (Bazel's warning above says which). Check the network and the mirror " +
                  "or proxy that serves it; if the artifact was re-published, re-lock with `%s`.") % (
                rctx.attr.coordinates,
                file,
                rctx.attr.lock,
                " or ".join(rctx.attr.urls),
                rctx.attr.sha256,
                rctx.attr.relock,
            ))

        # The same bytes now: the first attempt failed in transit. Fetch them pinned again.
        rctx.download(url = rctx.attr.urls, output = file, sha256 = rctx.attr.sha256)
    rctx.file("BUILD.bazel", """\
# {coordinates}, fetched by sha256 from the lock {lock}.
exports_files(
    [{file}],
    visibility = ["//visibility:public"],
)
""".format(coordinates = rctx.attr.coordinates, lock = rctx.attr.lock, file = repr(file)))

maven_artifact = repository_rule(
    implementation = _maven_artifact_impl,
    doc = "One Maven artifact file, downloaded by sha256 from the first URL that serves it.",
    attrs = {
        "coordinates": attr.string(mandatory = True),
        "file": attr.string(mandatory = True, doc = "File name, as in the repository."),
        "sha256": attr.string(mandatory = True),
        "urls": attr.string_list(mandatory = True),
        "lock": attr.string(mandatory = True, doc = "The lock's label, for messages."),
        "relock": attr.string(mandatory = True, doc = "The command that re-locks it, for messages."),
    },
)
