"""Play and stop one audio file with QtMultimedia where this installation has it.

PySide6-Essentials ships without QtMultimedia; then ``available`` is False and the views hide
their play buttons instead of offering something that cannot work.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal

try:  # pragma: no cover - depends on the installed PySide6 flavour
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
except ImportError:  # pragma: no cover
    QMediaPlayer = QAudioOutput = None


class AudioPlayer(QObject):
    playing_changed = Signal(bool)
    position_changed = Signal(float)  # seconds

    available = QMediaPlayer is not None

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._player = None
        self._playing = False
        if self.available:
            self._output = QAudioOutput(self)
            self._player = QMediaPlayer(self)
            self._player.setAudioOutput(self._output)
            self._player.playbackStateChanged.connect(self._state_changed)
            self._player.positionChanged.connect(lambda ms: self.position_changed.emit(ms / 1000.0))

    def is_playing(self) -> bool:
        return self._playing

    def play(self, path) -> None:
        if self._player is None:
            return
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()

    def stop(self) -> None:
        if self._player is not None:
            self._player.stop()

    def toggle(self, path) -> None:
        self.stop() if self._playing else self.play(path)

    def _state_changed(self, state) -> None:
        playing = state == QMediaPlayer.PlaybackState.PlayingState
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)
