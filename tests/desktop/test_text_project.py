"""A text project in the app: the Data page lists texts (first lines as thumbnails), the detail shows a
whole text, and the Label page labels texts with the number keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from core.errors import MediaError
from core.importer import import_files
from core.project import Project

TEXTS = ["The striker scored twice in the second half.", "Simmer the sauce until it thickens.",
         "Heavy rain is expected tonight.", "Line one of a letter.\nLine two, the rest of it."]


def test_texts_are_listed_shown_whole_and_labelled_with_keys(qtbot, tmp_path, make_window):
    src = tmp_path / "src"
    src.mkdir()
    for k, text in enumerate(TEXTS):
        (src / f"{k}.txt").write_text(text, encoding="utf-8")
    with Project.create(tmp_path / "p", "text") as project:
        assert import_files(project, [src]).added == len(TEXTS)
        project.add_class("sport")
        project.add_class("other")
    window = make_window(tmp_path / "p")
    data = window.pages["data"]
    assert data.grid_model.rowCount() == len(TEXTS)
    assert data.body.currentWidget() is not data.drop_zone  # the samples, not the drop zone
    assert "texts" in data.filters.search_edit.placeholderText()
    data.filters.search_edit.setText("sauce")  # a word inside a text, not in its file name
    qtbot.waitUntil(lambda: data.grid_model.rowCount() == 1, timeout=3000)
    data.filters.search_edit.clear()
    qtbot.waitUntil(lambda: data.grid_model.rowCount() == len(TEXTS), timeout=3000)

    qtbot.mouseClick(window.nav.buttons["label"], Qt.MouseButton.LeftButton)
    page = window.pages["label"]
    detail = page.detail
    first = window.services.session.project.sample(page.current_id())
    shown = window.services.session.project.path_of(first).read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: detail.text_view.toPlainText() == shown, timeout=10000)
    assert detail.stack.currentWidget() is detail.text_view and "text" in detail.meta_label.text()

    page.strip.setFocus()
    qtbot.keyClick(page.strip, Qt.Key.Key_1)
    assert window.services.session.project.sample(first.id).label == "sport"
    # the next text is shown whole too (the line break kept)
    nxt = window.services.session.project.sample(page.current_id())
    want = window.services.session.project.path_of(nxt).read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: detail.text_view.toPlainText() == want, timeout=10000)


def test_a_text_thumbnail_shows_its_first_words(tmp_path):
    import numpy as np

    from desktop.thumbnails.render import cache_path, make_thumbnail

    path = tmp_path / "t.txt"
    path.write_text("Heavy rain and strong winds are expected tonight across the north. " * 5, encoding="utf-8")
    target = cache_path(tmp_path / "cache", "ab" * 32, "text", 128)
    im = make_thumbnail(path, "text", 128, target)
    assert target.is_file() and im.size == (128, 80)
    ink = np.asarray(im.convert("L")) < 128
    assert 0.02 < ink.mean() < 0.4 and ink[:20].any() and ink[-30:].any()  # lines of words down the card
    (tmp_path / "blank.txt").write_text("", encoding="utf-8")
    # an unreadable text fails as an unreadable picture does: the loader shows no thumbnail
    with pytest.raises(MediaError, match="empty"):
        make_thumbnail(tmp_path / "blank.txt", "text", 128, cache_path(tmp_path / "cache", "cd" * 32, "text", 128))


def test_a_text_project_is_made_from_the_home_page(qtbot, tmp_path, window):
    qtbot.mouseClick(window.pages["home"].new_button, Qt.MouseButton.LeftButton)
    dialog = window.services.projects.dialog
    qtbot.keyClicks(dialog.name_edit, "Tickets")
    dialog.location_edit.setText(str(tmp_path))
    qtbot.mouseClick(dialog.text_radio, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    project = window.services.session.project
    assert project is not None and project.task == "text"
    data = window.pages["data"]
    assert data.body.currentWidget() is data.drop_zone and "Drop texts here" in data.drop_zone.title_label.text()


@pytest.mark.slow
def test_play_takes_a_typed_text(qtbot, tmp_path, make_window):
    from core.train import Trainer, TrainConfig
    from tests.e2e.test_cli_text import TEXTS as TOPICS

    src = tmp_path / "src"
    for label, texts in TOPICS.items():
        (src / label).mkdir(parents=True)
        for k, text in enumerate(texts):
            (src / label / f"{k}.txt").write_text(text, encoding="utf-8")
    with Project.create(tmp_path / "p", "text") as project:
        import_files(project, [src])
        assert Trainer(project, TrainConfig()).fit().status == "completed"
    window = make_window(tmp_path / "p")
    window.show_page("play")
    play = window.pages["play"]
    assert play.text_row.isVisibleTo(play)
    assert play.drop_zone.hint_label.text().startswith("Text files (or type a text above)")
    qtbot.keyClicks(play.text_edit, "Snow and freezing fog are forecast for the weekend.")
    qtbot.keyClick(play.text_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(play.cards) == 1, timeout=180000)
    prediction = play.cards[0].result.prediction
    assert prediction.label == "weather" and prediction.path.startswith("Snow and freezing fog")
    assert play.subtitle.text() == "1 of 1 texts predicted"


def test_a_short_text_says_its_size_in_bytes():
    from types import SimpleNamespace

    from desktop.widgets.sample_detail import describe

    short = SimpleNamespace(kind="text", width=None, height=None, duration=None, sample_rate=None,
                            size_bytes=43, split=None)
    assert describe(short) == "text · 43 bytes · no split yet"
    assert "2 KB" in describe(SimpleNamespace(**{**vars(short), "size_bytes": 2048}))


MISTAKE = ("The goalkeeper saved a late penalty in the derby.\nThe second line of this report says more about "
           "the match, and this long text goes on well past what one row of a list can show, so only its "
           "opening lines are in the row and all of it is below when it is selected.")


def test_evaluate_shows_the_texts_of_the_mistakes(qtbot, tmp_path, make_window):
    from core.train import TrainConfig, Trainer

    texts = {"sport": ["The striker scored twice.", "The keeper saved a penalty.", "Fans sang in the stadium.",
                       "The coach praised the defence.", "A late header won the cup.", "The team lost at home."],
             "food": ["Simmer the sauce until thick.", "Knead the dough and let it rest.", "Roast the potatoes.",
                      "Whisk the eggs with sugar.", "Season the soup with salt.", "Fry the onions slowly."]}
    src = tmp_path / "src"
    for label, items in texts.items():
        (src / label).mkdir(parents=True)
        for k, text in enumerate(items):
            (src / label / f"{k}.txt").write_text(text, encoding="utf-8")
    (src / "food" / "wrong.txt").write_text(MISTAKE, encoding="utf-8")  # a sport text labelled food
    with Project.create(tmp_path / "p", "text") as project:
        import_files(project, [src])
        for seed in range(50):  # a split that holds the mislabelled text out (drawn from content hashes)
            project.reset_splits(val=0.5, test=0.0, seed=seed)
            wrong = next(s for s in project.samples() if s.display_name.endswith("wrong.txt"))
            if wrong.split == "val":
                break
        Trainer(project, TrainConfig(mode="probe")).fit()
    window = make_window(tmp_path / "p")
    page = window.pages["evaluate"]
    window.show_page("evaluate")
    qtbot.waitUntil(lambda: page.view is not None, timeout=60000)
    gallery = page.gallery
    assert gallery.count() >= 1 and page.text_preview.isVisible()
    assert set(page.view.texts) == set(gallery.ids()) < set(page.view.samples)  # only the texts shown were read
    row = next(i for i in range(gallery.count()) if gallery.item(i).data(Qt.ItemDataRole.UserRole + 1) == wrong.id)
    item = gallery.item(row)
    caption = item.text()
    assert caption.startswith("food → sport") or caption.startswith("food → ")  # what the model said first
    assert "The goalkeeper saved a late penalty in the derby." in caption  # then the text's opening lines
    assert "all of it is below" not in caption and item.icon().isNull()  # words, not a picture of them
    assert "all of it is below when it is selected" in item.toolTip()  # the whole (short) text on hover
    gallery.setCurrentRow(row)
    assert page.text_preview.toPlainText() == MISTAKE  # and below the list when selected, whole
    page.grab().save(str(tmp_path / "evaluate-text.png"))
