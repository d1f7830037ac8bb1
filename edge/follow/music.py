"""A routine's music: its beats, found once when the routine is recorded, and the move grid
they set. Optional: a routine folder without it is followed as before.

    music.EXT    the music file as given (EXT one of TYPES: what the kiosk page can play)
    beats.json   {"file", "tempo_bpm", "beats_s", "offset_s"}: the beats in the music's
                 seconds; offset_s is the music's second at the routine's first frame
                 (0: the music starts with the teacher's clip), so routine second t is
                 music second t + offset_s

The beats come from librosa (ISC), the optional `music` extra (`pip install
'dancepose[music]'`): numba and scikit-learn with it are too big for the Pi's edge
install, and only recording needs them; following reads beats.json.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from edge.errors import UserError

BEATS: Final = "beats.json"
STEM: Final = "music"  # the copy in the routine folder: music + the given file's suffix
# What the kiosk page's <audio> plays (Chromium), with the Content-Type it is served as.
TYPES: Final = {
    ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
    ".wav": "audio/wav", ".flac": "audio/flac", ".m4a": "audio/mp4", ".webm": "audio/webm",
}  # fmt: skip
MAX_BYTES: Final = 64 * 1024 * 1024  # a routine's music; the page fetches it whole
SAMPLE_RATE: Final = 22050
HOP: Final = 256  # samples between onset frames: 11.6 ms (512 put beats ~20 ms late)
ONSET_BEATS: Final = 0.25  # a beat moves to the start of the nearest onset this near (beats)
COUNTS: Final = (8, 4, 2, 1)  # beats a move unit spans: a dance's count of 8 when it fits
MAX_UNIT_S: Final = 4.0  # ... in this long (8 beats up to 120 BPM's 4 s)


class MusicError(UserError, ValueError):
    """Music that cannot be used; the message names the fix."""


@dataclass(frozen=True)
class Music:
    path: Path  # the music file: the given one when recorded, the folder's copy when loaded
    tempo_bpm: float
    beats_s: tuple[float, ...]  # music seconds
    offset_s: float = 0.0  # the music's second at the routine's first frame

    @property
    def beat_s(self) -> float:
        """One beat's length (seconds)."""
        return 60.0 / self.tempo_bpm

    def grid(self, length_s: float) -> np.ndarray:
        """Where a move may start or end, in routine seconds within 0..length_s: every
        n-th beat from the first, n the largest of COUNTS whose n beats last MAX_UNIT_S at
        most (a routine's moves are whole counts of 8 at 120 BPM and faster)."""
        beats = np.asarray(self.beats_s) - self.offset_s
        beats = beats[(beats >= 0) & (beats <= length_s + 1e-6)]
        unit = next((n for n in COUNTS if n * self.beat_s <= MAX_UNIT_S + 1e-6), 1)
        return beats[::unit]


def has_music(folder: Path) -> bool:
    """Whether the routine folder was recorded with music (its clock: edge/follow/align.py)."""
    return (Path(folder) / BEATS).is_file()


def check_file(path: Path) -> None:
    """A music file the routine can hold and the page can play; MusicError otherwise."""
    if path.suffix.lower() not in TYPES:
        raise MusicError(
            f"--music {path}: the kiosk page plays {', '.join(TYPES)} files; convert it "
            "(e.g. ffmpeg -i IN music.ogg)"
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise MusicError(f"--music {path}: cannot read it ({exc.strerror or exc})") from None
    if size > MAX_BYTES:
        raise MusicError(
            f"--music {path}: {size / 2**20:.0f} MB, more than {MAX_BYTES // 2**20} MB; "
            "cut or compress it"
        )


def analyse(path: Path, offset_s: float = 0.0) -> Music:
    """The music's tempo and beats (librosa's dynamic-programming beat tracker over an
    onset envelope, each beat then moved to the start of its onset)."""
    check_file(path)
    try:
        import librosa  # the optional `music` extra
    except ImportError:
        raise MusicError(
            "--music needs librosa, the optional music extra: pip install 'dancepose[music]' "
            "(or record the routine without --music)"
        ) from None
    try:
        samples, rate = librosa.load(path, sr=SAMPLE_RATE, mono=True)
    except Exception as exc:  # audioread/soundfile raise their own types
        raise MusicError(f"--music {path}: cannot decode it ({exc})") from None
    envelope = librosa.onset.onset_strength(y=samples, sr=rate, hop_length=HOP)
    tempo, frames = librosa.beat.beat_track(onset_envelope=envelope, sr=rate, hop_length=HOP)
    beats = librosa.frames_to_time(frames, sr=rate, hop_length=HOP)
    onsets = librosa.onset.onset_detect(
        onset_envelope=envelope, sr=rate, hop_length=HOP, backtrack=True, units="time"
    )
    if len(beats) < 2:
        raise MusicError(f"--music {path}: no beat found; give music with a steady beat")
    tempo_bpm = float(np.ravel(tempo)[0]) or 60.0 / float(np.median(np.diff(beats)))
    if len(onsets):  # the beat tracker marks the envelope's peak, after the attack
        nearest = onsets[np.abs(onsets[None, :] - beats[:, None]).argmin(axis=1)]
        near = np.abs(nearest - beats) <= ONSET_BEATS * 60.0 / tempo_bpm
        beats = np.where(near, nearest, beats)
    beats_s = tuple(round(float(b), 4) for b in beats)
    return Music(Path(path), round(tempo_bpm, 2), beats_s, offset_s)


def write(music: Music, folder: Path) -> None:
    """The music file and beats.json into a (temporary) routine folder."""
    name = STEM + music.path.suffix.lower()
    shutil.copyfile(music.path, folder / name)
    record = {
        "file": name, "tempo_bpm": music.tempo_bpm, "beats_s": list(music.beats_s),
        "offset_s": music.offset_s,
    }  # fmt: skip
    (folder / BEATS).write_text(json.dumps(record, indent=1) + "\n")


def load(folder: Path) -> Music | None:
    """The routine's music, None where it has none; MusicError for a damaged beats.json."""
    path = Path(folder) / BEATS
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        name = str(record["file"])
        music = Music(
            Path(folder) / name, float(record["tempo_bpm"]),
            tuple(float(b) for b in record["beats_s"]), float(record.get("offset_s", 0.0)),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MusicError(f"{path}: damaged ({exc}); record the routine again") from None
    if Path(name).name != name or Path(name).suffix not in TYPES or not music.tempo_bpm > 0:
        raise MusicError(f"{path}: names no music file of this folder; record it again")
    return music
