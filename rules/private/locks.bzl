"""What every lock-reading extension and repository rule shares: one shape for a problem with a
lock, and downloads checked against it.

A problem reads, on one line: `<lock file>: <which entry>: <what is wrong>; <what to do>`, e.g.

    //toolchains/debian:jni_runtime.lock.json: libc6 2.36-9+deb12u10 (amd64): the download has
    sha256 1f0c..., but the lock says 9a2b... (from https://deb.debian.org/...); re-lock it with
    `bazel run //toolchains/debian:jni_runtime.lock` if the package really changed, or check the
    mirror or proxy that served it

so whichever lock (Debian, pip, Maven) a user got wrong, the message names the file, the entry
and the fix the same way.
"""

def lock_display(label):
    """How messages name a lock file: `//pkg:file` in the main repository, else the full label."""
    text = str(label)
    for prefix in ("@@//", "@//"):
        if text.startswith(prefix):
            return text[len(prefix) - 2:]
    return text

def lock_problem(lock, entry, problem, fix):
    """The one-line message for a problem with `entry` of the lock `lock` (a display string)."""
    where = "%s: %s" % (lock, entry) if entry else lock
    return "%s: %s; %s" % (where, problem, fix)

def download_checked(rctx, urls, sha256, output, lock, entry, relock):
    """Downloads `urls` (mirrors, in order) to `output`, verified against the lock's `sha256`.

    Bazel checks the hash itself (and the repository cache serves a known hash without any
    network); when it does not match, each HTTPS URL is fetched once more without a hash, into a
    temporary name deleted at once, only to say which one serves what, in the lock's words.
    Bazel fetches plain-HTTP URLs only with a hash to check, so for those its own warning is all
    there is to say which mirror served what.
    """
    if rctx.download(url = urls, output = output, sha256 = sha256, allow_fail = True).success:
        return
    probe = output + ".unverified"
    for url in urls:
        if not url.startswith("https://"):
            continue
        result = rctx.download(url = url, output = probe, allow_fail = True)
        rctx.delete(probe)
        if result.success and result.sha256 == sha256:
            # The right bytes after all: the first attempt failed in transit. Fetch them pinned.
            rctx.download(url = urls, output = output, sha256 = sha256)
            return
        if result.success:
            fail(lock_problem(
                lock,
                entry,
                "the download has sha256 %s, but the lock says %s (from %s)" % (result.sha256, sha256, url),
                "re-lock it with `%s` if the package really changed, or check the mirror or proxy that served it" % relock,
            ))
    if [url for url in urls if not url.startswith("https://")]:
        fail(lock_problem(
            lock,
            entry,
            "no mirror served it with the lock's sha256 %s (%s): none answered, or one served other bytes " % (
                sha256,
                " or ".join(urls),
            ) + "(Bazel's warnings above say which)",
            "check the network and the mirror, or re-lock it with `%s` if the package really changed" % relock,
        ))
    fail(lock_problem(
        lock,
        entry,
        "could not be downloaded from %s" % " or ".join(urls),
        "check the network (or the mirror), or re-lock it with `%s` if the files moved" % relock,
    ))
