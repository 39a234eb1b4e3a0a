"""Play and stop one sound with QtMultimedia (PySide6-Addons, installed with the full PySide6).

A segment of a long recording plays only its own span: ``play_sample`` plays a clip of exactly
that span (core.audio.clips) and reports positions as times in the whole recording, so the
playhead on the recording's waveform sits where the sound is.

``available`` is False only in an installation without QtMultimedia; ``has_output()`` says
whether the machine has a sound output at all (a server without one still "plays": the player
runs to the end silently, and the views say why nothing is heard).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QUrl, Signal

try:  # pragma: no cover - depends on the installed PySide6 flavour
    from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
except ImportError:  # pragma: no cover
    QMediaPlayer = QAudioOutput = QMediaDevices = None

NO_OUTPUT = "No sound output found on this computer: connect speakers or headphones to hear samples."
NO_OUTPUT_SHORT = "no sound output found on this computer"
NO_MULTIMEDIA = "No playback here: this installation lacks QtMultimedia (install the full PySide6)."


def has_output() -> bool:
    return QMediaDevices is not None and bool(QMediaDevices.audioOutputs())


class AudioPlayer(QObject):
    playing_changed = Signal(bool)
    position_changed = Signal(float)  # seconds into the recording
    status_changed = Signal(str)  # 'loading' | 'loaded' | 'playing' | 'end' | 'stopped' | 'error'
    failed = Signal(str)  # a sentence naming the file and the reason

    available = QMediaPlayer is not None

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._player = None
        self._playing = False
        self._offset = 0.0
        self._source = None
        self._name = None  # what the person calls the file playing (a sample's name, not its media file's)
        self.status = "stopped"
        if self.available:
            self._output = QAudioOutput(self)
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(self._output)
            self._player.playbackStateChanged.connect(self._state_changed)
            self._player.mediaStatusChanged.connect(self._media_status)
            self._player.errorOccurred.connect(self._error)
            self._player.positionChanged.connect(lambda ms: self.position_changed.emit(self._offset + ms / 1000.0))
            self._devices = QMediaDevices(self)
            self._devices.audioOutputsChanged.connect(self._outputs_changed)

    def is_playing(self) -> bool:
        return self._playing

    def source(self) -> str | None:
        """The file last played (a clip for a segment)."""
        return self._source

    def play(self, path, offset: float = 0.0, name: str | None = None) -> None:
        """Play ``path`` from its start; positions are reported as ``offset`` + seconds played."""
        if self._player is None:
            return
        self._offset = float(offset)
        self._source = os.fspath(path)
        self._name = name
        self._player.stop()
        self._player.setSource(QUrl.fromLocalFile(self._source))
        self._player.play()

    def play_sample(self, project, sample) -> bool:
        """Play a project sample (only its span for a segment); False, with ``failed`` emitted, when
        its sound cannot be read."""
        from core.audio.clips import playable_path
        from core.media import MediaError

        if self._player is None or project is None or sample is None or sample.kind != "audio":
            return False
        try:
            path, offset = playable_path(project, sample)
        except (MediaError, OSError) as exc:
            self.failed.emit(f"Cannot play {sample.display_name}: {exc}.")
            return False
        self.play(path, offset, name=sample.display_name)
        return True

    def toggle_sample(self, project, sample) -> None:
        self.stop() if self._playing else self.play_sample(project, sample)

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()

    def toggle(self, path, offset: float = 0.0) -> None:
        self.stop() if self._playing else self.play(path, offset)

    # ------------------------------------------------------------ player events

    def _state_changed(self, state) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        if playing:
            self._set_status("playing")
        elif self.status == "playing":
            self._set_status("stopped")
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def _media_status(self, status) -> None:
        S = QMediaPlayer.MediaStatus
        if status == S.LoadingMedia:
            self._set_status("loading")
        elif status == S.LoadedMedia:
            self._set_status("loaded")
        elif status == S.EndOfMedia:
            self._set_status("end")
        elif status == S.InvalidMedia:
            self._set_status("error")

    def _error(self, _error, message: str) -> None:
        name = self._name or os.path.basename(self._source or "the file")
        self._set_status("error")
        self.failed.emit(f"Cannot play {name}: {message or 'the sound could not be decoded'}.")

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)

    def _outputs_changed(self) -> None:
        # Follow the system's default output when speakers or headphones come and go.
        self._output.setDevice(QMediaDevices.defaultAudioOutput())
        self.status_changed.emit(self.status)
