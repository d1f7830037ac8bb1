"""An arm64 Debian chroot that stands in for the Pi's userland (`make pi-check`).

(Over 400 lines: building, caching, mounting and entering a chroot is one resource's life.)

Raspberry Pi OS bookworm is Debian 12 with Python 3.11 on aarch64, so `debootstrap
--arch=arm64` of bookworm, run through qemu-user via binfmt_misc, installs and runs the edge
exactly as the Pi install does: same Python, same pip, same lock, same wheels. The chroot is
cached under out/pi-chroot in two layers, each keyed by what it is built from:

- the base system (debootstrap; about 5 minutes): the release, the packages, RECIPE;
- the venv (`pip install` of the lock; about 2 minutes): the lock file's sha256.

Every command inside runs in a private mount namespace (`unshare --mount`), so the /proc it
mounts vanishes with it and nothing is ever left mounted under the repo. Every failure is a
PiChrootError whose one line names the thing and the fix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge.errors import UserError

RELEASE = "bookworm"  # Raspberry Pi OS bookworm = Debian 12, Python 3.11
PACKAGES = ("python3", "python3-venv")  # what the README's Pi install takes from apt
# Changing how the base is built (not what goes into it) must invalidate old caches.
RECIPE = 1
DEFAULT_MIRROR = "http://deb.debian.org/debian"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# The Pi 4's core by default: a wheel built for a newer Arm core (dotprod, fp16, SVE) would
# crash a Pi 4 with SIGILL, and qemu's default CPU ("max") would hide that. qemu 7.2 shows
# the host's x86 /proc/cpuinfo and no /sys, so LiteRT's cpuinfo cannot tell the CPU and
# XNNPACK stays off; each run therefore sees the /proc/cpuinfo (MIDR part, features) and the
# /sys CPU lists of the Pi whose core qemu emulates, and runs the kernels that Pi runs.
PI_CPUS = {  # QEMU_CPU: (CPU variant, part, revision, /proc/cpuinfo Features, the Pi)
    "cortex-a72": ("0x0", "0xd08", "3", "fp asimd evtstrm crc32 cpuid", "Raspberry Pi 4"),
    "cortex-a76": (
        "0x4",
        "0xd0b",
        "1",
        "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics "
        "fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp",
        "Raspberry Pi 5",
    ),
}
DEFAULT_CPU = "cortex-a72"
CPUINFO = "/etc/pi-check/cpuinfo"  # bound over /proc/cpuinfo by ENTER
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
BINFMT_ENTRY = BINFMT_DIR / "qemu-aarch64"
APP_DIR = "/opt/dancepose"  # where the README installs it on the Pi
VENV = f"{APP_DIR}/.venv"
VENV_STAMP = ".pi-check-lock.json"  # inside the venv: which lock it holds
HOST_CA = "/etc/pi-check/host-ca.pem"  # the host's CA bundle, for pip behind a TLS proxy
APT_PACKAGES = "qemu-user-static binfmt-support debootstrap"
# Mount /proc and the Pi's cpuinfo over it (the private namespace drops both on exit), then
# become the chroot. Never the host's /sys: LiteRT's cpuinfo reads x86 topology and crashes.
ENTER = (
    'mount -t proc proc "$0/proc" && mount --bind "$0' + CPUINFO + '" "$0/proc/cpuinfo" '
    '&& exec chroot "$0" "$@"'
)
# Passed through from the host when set: how pip reaches the index from here.
PASS_ENV = (
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "PIP_INDEX_URL",
    "PIP_TRUSTED_HOST",
    "PIP_DEFAULT_TIMEOUT",
)


class PiChrootError(UserError, RuntimeError):
    """The chroot cannot be built or entered, or a command in it failed; one line, with the fix."""


@dataclass(frozen=True)
class Step:
    """One timed step: what it was, how long it took, and whether a cache made it free."""

    name: str
    seconds: float
    cached: bool = False
    built_seconds: float | None = None  # for a cached step, what building it took back then

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 1),
            "cached": self.cached,
            "built_seconds": self.built_seconds,
        }


def missing_tools(which=shutil.which) -> list[str]:
    """The Debian packages whose commands are not on PATH (empty when all are)."""
    needs = {
        "debootstrap": "debootstrap",
        "qemu-aarch64-static": "qemu-user-static",
        "update-binfmts": "binfmt-support",
        "unshare": "util-linux",
        "chroot": "coreutils",
    }
    return sorted({package for tool, package in needs.items() if which(tool) is None})


def install_hint(packages: Sequence[str]) -> str:
    prefix = "" if os.geteuid() == 0 else "sudo "
    return f"{prefix}apt-get install {' '.join(packages)}"


def binfmt_flags(entry_text: str) -> str | None:
    """The flags of an enabled binfmt_misc entry, None when it is disabled."""
    lines = entry_text.splitlines()
    if not lines or lines[0].strip() != "enabled":
        return None
    for line in lines:
        if line.startswith("flags:"):
            return line.split(":", 1)[1].strip()
    return ""


def _binfmt_entry_flags() -> str | None:
    try:
        return binfmt_flags(BINFMT_ENTRY.read_text())
    except OSError:
        return None


def ensure_binfmt() -> None:
    """arm64 executables must run through qemu, from inside a chroot too (flag F: the kernel
    opens the interpreter when it is registered, so the chroot need not contain it).
    As root, mount binfmt_misc and register qemu-aarch64 when they are not yet."""
    if (flags := _binfmt_entry_flags()) is None and os.geteuid() == 0:
        if not (BINFMT_DIR / "register").exists():
            subprocess.run(
                ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)],
                capture_output=True,
                check=False,
            )
        subprocess.run(
            ["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True, check=False
        )
        flags = _binfmt_entry_flags()
    if flags is None:
        raise PiChrootError(
            f"pi-check: this machine cannot run arm64 programs: no enabled {BINFMT_ENTRY} "
            f"({install_hint(APT_PACKAGES.split())}; then, as root, "
            f"`mount -t binfmt_misc binfmt_misc {BINFMT_DIR}` and "
            "`update-binfmts --enable qemu-aarch64`; in a container, the host must allow it)"
        )
    if "F" not in flags:
        raise PiChrootError(
            f"pi-check: {BINFMT_ENTRY} is registered without flag F (flags {flags!r}), so "
            "programs inside a chroot cannot reach qemu; install qemu-user-static (its "
            "registration has F) instead of qemu-user-binfmt"
        )


def preflight() -> None:
    """Everything the chroot needs from this machine, each gap as one line with the fix."""
    if os.geteuid() != 0:
        raise PiChrootError(
            "pi-check: needs root (debootstrap, chroot and mount do); run `sudo make pi-check`"
        )
    path = os.environ.get("PATH", "").split(":")  # debootstrap and chroot live in sbin
    os.environ["PATH"] = ":".join(path + [d for d in ("/usr/sbin", "/sbin") if d not in path])
    if missing := missing_tools():
        raise PiChrootError(
            f"pi-check: {', '.join(missing)} not installed; {install_hint(missing)}"
        )
    if not KEYRING.is_file():
        raise PiChrootError(
            f"pi-check: {KEYRING} is missing (debootstrap checks Debian's signatures with it); "
            f"{install_hint(['debian-archive-keyring'])}"
        )
    ensure_binfmt()


# What build_base may delete in the cache folder: its own trees and stamps, nothing else.
OURS = re.compile(r"[a-z]+-arm64-[0-9a-f]{12}(\.partial|\.json)?")


def base_key(release: str = RELEASE, packages: Sequence[str] = PACKAGES) -> str:
    """The cache name of a base system: changes whenever what goes into it does."""
    recipe = json.dumps(
        {
            "release": release,
            "arch": "arm64",
            "variant": "minbase",
            "packages": sorted(packages),
            "recipe": RECIPE,
        },
        sort_keys=True,
    )
    return f"{release}-arm64-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _mounted_under(path: Path) -> list[str]:
    prefix = str(path.resolve()).rstrip("/") + "/"
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    return [p for p in points if (p + "/").startswith(prefix)]


def remove_tree(path: Path) -> None:
    """Delete a chroot, never anything mounted inside it (there should be none: see ENTER)."""
    if not path.exists() and not path.is_symlink():
        return
    if mounts := _mounted_under(path):
        raise PiChrootError(f"pi-check: {mounts[0]} is mounted inside {path}; unmount it first")
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)


def _stamp(path: Path, seconds: float, **facts: str) -> None:
    built = datetime.now(UTC).isoformat(timespec="seconds")
    path.write_text(json.dumps({"seconds": round(seconds, 1), "built": built, **facts}) + "\n")


def _read_stamp(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def say(line: str) -> None:
    print(line, file=sys.stderr)


def cold_run(cache: Path, seconds: float | None = None) -> dict | None:
    """The whole first run on this base (the chroot built from scratch): recorded with
    `seconds` (date and seconds), else read back; None when not known."""
    stamp = cache / f"{base_key()}.json"
    facts = _read_stamp(stamp) or {}
    if seconds is not None:
        built = datetime.now(UTC).isoformat(timespec="seconds")
        facts["cold_run"] = {"seconds": round(seconds, 1), "date": built}
        stamp.write_text(json.dumps(facts) + "\n")
    return facts.get("cold_run")


def build_base(cache: Path, mirror: str = DEFAULT_MIRROR) -> tuple[Path, Step]:
    """The cached bookworm arm64 base (python3, python3-venv), built when absent or stale."""
    cache.mkdir(parents=True, exist_ok=True)
    key = base_key()
    root, stamp = cache / key, cache / f"{key}.json"
    facts = _read_stamp(stamp)
    if facts is not None and (root / "usr" / "bin" / "python3").exists():
        return root, Step("debootstrap", 0.0, cached=True, built_seconds=facts.get("seconds"))
    for old in cache.iterdir():  # other keys, half-built trees: only one base is kept
        if OURS.fullmatch(old.name) and old.is_dir():
            remove_tree(old)
        elif OURS.fullmatch(old.name):
            old.unlink()
    partial, log_path = cache / f"{key}.partial", cache / "debootstrap.log"
    say(
        f"pi-check: building the {RELEASE} arm64 chroot (debootstrap under qemu, several "
        f"minutes; log {log_path})"
    )
    command = [
        "debootstrap",
        "--arch=arm64",
        "--variant=minbase",
        f"--keyring={KEYRING}",
        f"--include={','.join(PACKAGES)}",
        RELEASE,
        str(partial),
        mirror,
    ]
    start = time.monotonic()
    with log_path.open("w") as out:
        proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        last = [ln for ln in log_path.read_text().splitlines() if ln.strip()][-1:] or ["no output"]
        raise PiChrootError(
            f"pi-check: debootstrap of {RELEASE} arm64 from {mirror} failed: {last[0].strip()} "
            f"(full log {log_path}; another mirror: --mirror URL)"
        )
    for deb in (partial / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        deb.unlink()  # debootstrap leaves the ~100 MB of packages it installed
    partial.rename(root)
    seconds = time.monotonic() - start
    _stamp(stamp, seconds, key=key, mirror=mirror)
    return root, Step("debootstrap", seconds)


def host_ca_bundle() -> Path | None:
    """The CA bundle this machine's pip trusts (a TLS-intercepting proxy adds its own CA)."""
    for candidate in (
        os.environ.get("PIP_CERT"),
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("REQUESTS_CA_BUNDLE"),
        "/etc/ssl/certs/ca-certificates.crt",
    ):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


PI_CORES = 4


def pi_cpuinfo(cpu: str) -> str:
    """/proc/cpuinfo as the Pi with this core prints it (what cpuinfo and XNNPACK read)."""
    variant, part, revision, features, model = PI_CPUS[cpu]
    core = (
        f"BogoMIPS\t: 108.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n"
        f"CPU architecture: 8\nCPU variant\t: {variant}\nCPU part\t: {part}\n"
        f"CPU revision\t: {revision}\n"
    )
    cores = "\n".join(f"processor\t: {n}\n{core}" for n in range(PI_CORES))
    return f"{cores}\nModel\t\t: {model} (emulated by qemu, {cpu})\n"


class Chroot:
    """Runs commands in the chroot as root, with a clean environment and a chosen CPU."""

    def __init__(self, root: Path, cpu: str = DEFAULT_CPU) -> None:
        self.root = root
        self.path(CPUINFO).parent.mkdir(parents=True, exist_ok=True)
        self.path(CPUINFO).write_text(pi_cpuinfo(cpu))
        cpus = self.path("/sys/devices/system/cpu")
        cpus.mkdir(parents=True, exist_ok=True)
        for name in ("possible", "present", "online"):
            (cpus / name).write_text(f"0-{PI_CORES - 1}\n")
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "QEMU_CPU": cpu,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        self.env.update({k: os.environ[k] for k in PASS_ENV if os.environ.get(k)})
        if (self.env.get("PIP_INDEX_URL") or "").startswith("file:"):
            del self.env["PIP_INDEX_URL"]  # a folder on the host, not in here
        if (bundle := host_ca_bundle()) is not None:
            shutil.copyfile(bundle, root / HOST_CA.lstrip("/"))
            self.env["PIP_CERT"] = HOST_CA

    def path(self, inside: str) -> Path:
        """The host path of a path inside the chroot."""
        return self.root / inside.lstrip("/")

    def run(self, argv: Sequence[str], timeout: float, cwd: str = APP_DIR, **env: str):
        """argv inside the chroot; a CompletedProcess with stdout and stderr as text."""
        assigns = [f"{k}={v}" for k, v in {**self.env, **env}.items()]
        command = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            ENTER,
            str(self.root),
            "/usr/bin/env",
            "-i",
            "-C",
            cwd,
            *assigns,
            *argv,
        ]
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PiChrootError(
                f"pi-check: `{' '.join(argv)}` in the arm64 chroot ran past {timeout:.0f} s"
            ) from exc

    def check(self, argv: Sequence[str], timeout: float, what: str, **env: str) -> str:
        """Like run, but a non-zero exit is a PiChrootError naming what and its last line."""
        proc = self.run(argv, timeout, **env)
        if proc.returncode != 0:
            raise PiChrootError(f"pi-check: {what} failed in the arm64 chroot: {last_line(proc)}")
        return proc.stdout


def last_line(proc: subprocess.CompletedProcess) -> str:
    """The most telling line of a failed command: its last error, else its last line."""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("ERROR", "error", "dancepose"))]
    return (errors or lines or [f"exit status {proc.returncode}, no output"])[-1]


# pip's own words for each way a locked install can fail, and the requirement each names.
NO_DISTRIBUTION = re.compile(r"No matching distribution found for (\S+)")
NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement (\S+)")
HASH_MISMATCH = re.compile(r"^\s+(\S+==\S+) from (\S+?):?$", re.MULTILINE)


def pip_failure_line(output: str, lock: str, log: str = "pip-install.log") -> str:
    """One line naming the package from a failed `pip install --require-hashes -r LOCK`."""
    if match := NO_DISTRIBUTION.search(output) or NO_VERSION.search(output):
        return (
            f"pi-check: {match.group(1)} has no wheel for the Pi (linux aarch64, CPython 3.11, "
            f"glibc 2.36) on the index, so {lock} cannot be installed there; pin a release "
            "that has one (`make lock`) or keep it out of the edge dependencies"
        )
    if "DO NOT MATCH THE HASHES" in output and (match := HASH_MISMATCH.search(output)):
        wheel = match.group(2).rsplit("/", 1)[-1].split("#", 1)[0]
        return (
            f"pi-check: {match.group(1)}: the Pi's file {wheel} is not among the hashes in "
            f"{lock}; re-run `make lock`"
        )
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    last = (errors or lines or ["no output"])[-1]
    return f"pi-check: pip could not install {lock} in the arm64 chroot: {last} (all of it: {log})"


def install_edge(chroot: Chroot, lock: Path, lock_name: str) -> Step:
    """README's Pi install, steps 1-2: a --system-site-packages venv holding exactly the lock
    (wheels only: a Pi compiling numpy from source is a broken install). Kept while the
    lock's sha256 is the same."""
    venv = chroot.path(VENV)
    digest = file_sha256(lock)
    facts = _read_stamp(venv / VENV_STAMP)
    if facts is not None and facts.get("lock_sha256") == digest:
        return Step("venv + edge lock", 0.0, cached=True, built_seconds=facts.get("seconds"))
    say(f"pi-check: installing {lock_name} into the arm64 chroot (pip under qemu)")
    remove_tree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    chroot.check(["python3", "-m", "venv", "--system-site-packages", VENV], 600, "python3 -m venv")
    shutil.copyfile(lock, chroot.path("/tmp/edge-lock.txt"))
    proc = chroot.run(
        [
            f"{VENV}/bin/pip",
            "install",
            "--no-deps",
            "--require-hashes",
            "--only-binary=:all:",
            "-r",
            "/tmp/edge-lock.txt",
        ],
        timeout=1800,
    )
    if proc.returncode != 0:
        remove_tree(venv)  # half-installed: the next run starts it afresh
        output = proc.stdout + "\n" + proc.stderr
        log_path = chroot.root.parent / "pip-install.log"
        log_path.write_text(output)
        raise PiChrootError(pip_failure_line(output, lock_name, str(log_path)))
    seconds = time.monotonic() - start
    _stamp(venv / VENV_STAMP, seconds, lock_sha256=digest)
    return Step("venv + edge lock", seconds)


def tree_files(repo: Path) -> list[str]:
    """What a clone of this working tree holds (tracked and new, not ignored files)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "-z", "-co", "--exclude-standard"],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise PiChrootError(f"pi-check: cannot list the files of {repo} with git: {exc}") from exc
    return [name for name in out.decode().split("\0") if name]


def sync_tree(repo: Path, chroot: Chroot, extra: Sequence[str]) -> int:
    """Put this working tree (plus extra, e.g. the fetched models) at APP_DIR, keeping the
    venv: the chroot sees the code under test, never reaches back into the repo."""
    app = chroot.path(APP_DIR)
    app.mkdir(parents=True, exist_ok=True)
    for entry in app.iterdir():
        if entry.name == ".venv":
            continue
        if entry.is_dir() and not entry.is_symlink():
            remove_tree(entry)
        else:
            entry.unlink()
    names = tree_files(repo) + [
        str(p.relative_to(repo))
        for d in extra
        for p in sorted((repo / d).rglob("*"))
        if p.is_file()
    ]
    for name in names:
        source = repo / name
        if source.is_file():  # listed but deleted in the working tree: skip
            target = app / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return len(names)
