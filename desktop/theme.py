"""Light and dark themes: the Fusion style, a matching palette, and a .qss from resources/themes.

"system" follows the desktop's colour scheme where Qt can read it, and light otherwise.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from desktop.resources import read_text

THEME_CHOICES = ("system", "light", "dark")

# One place for the colours; the .qss files use the same values.
COLORS = {
    "light": {
        "window": "#f5f6f8", "base": "#ffffff", "alt": "#f0f2f5", "text": "#1d2127", "muted": "#626b77",
        "border": "#dde1e6", "accent": "#2f6fed", "accent_text": "#ffffff", "nav": "#eceef2",
        "disabled": "#a3a9b1", "error": "#c4362c", "success": "#1f8a4c", "warning": "#a86800",
    },
    "dark": {
        "window": "#1c1e22", "base": "#24272c", "alt": "#2a2d33", "text": "#e4e6ea", "muted": "#9aa2ad",
        "border": "#363a41", "accent": "#5b8cff", "accent_text": "#ffffff", "nav": "#17191c",
        "disabled": "#5d636b", "error": "#ff7b72", "success": "#56d364", "warning": "#e3b341",
    },
}


def resolve(choice: str, app: QApplication | None = None) -> str:
    """'light' or 'dark' for a theme choice (system / light / dark)."""
    if choice in ("light", "dark"):
        return choice
    app = app or QApplication.instance()
    if app is not None and app.styleHints().colorScheme() == Qt.ColorScheme.Dark:
        return "dark"
    return "light"


def palette_for(name: str) -> QPalette:
    c = {k: QColor(v) for k, v in COLORS[name].items()}
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, c["window"])
    p.setColor(role.WindowText, c["text"])
    p.setColor(role.Base, c["base"])
    p.setColor(role.AlternateBase, c["alt"])
    p.setColor(role.Text, c["text"])
    p.setColor(role.Button, c["base"])
    p.setColor(role.ButtonText, c["text"])
    p.setColor(role.Highlight, c["accent"])
    p.setColor(role.HighlightedText, c["accent_text"])
    p.setColor(role.ToolTipBase, c["base"])
    p.setColor(role.ToolTipText, c["text"])
    p.setColor(role.PlaceholderText, c["muted"])
    p.setColor(role.Link, c["accent"])
    p.setColor(role.Mid, c["border"])
    p.setColor(role.Midlight, c["alt"])
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, c["disabled"])
    return p


def color(name: str, key: str) -> QColor:
    return QColor(COLORS[name][key])


def current_theme(app: QApplication | None = None) -> str:
    app = app or QApplication.instance()
    value = app.property("transferlabTheme") if app is not None else None
    return value if value in COLORS else "light"


def apply_theme(app: QApplication, choice: str) -> str:
    """Apply a theme choice to the whole application; returns the theme actually used."""
    name = resolve(choice, app)
    app.setStyle("Fusion")
    app.setPalette(palette_for(name))
    app.setProperty("transferlabTheme", name)
    sheet = read_text("themes", "common.qss") + "\n" + read_text("themes", f"{name}.qss")
    # style sheets name images by path: @ICONS@ is the icons folder wherever resources/ is (also frozen)
    from core.resources import resource_path

    app.setStyleSheet(sheet.replace("@ICONS@", resource_path("icons").as_posix()))
    return name
