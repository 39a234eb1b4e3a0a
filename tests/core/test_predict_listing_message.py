"""A text model given a CSV/TSV/JSONL listing: import reads those, predict does not; it said "not an
image, audio or text file this model can read" of what is plainly text."""

from core.predict import Predictor


def _text_predictor():
    predictor = object.__new__(Predictor)  # predict_file decides by the model's task before reading
    predictor.task = "text"
    return predictor


def test_a_listing_given_to_a_text_model_is_named_a_listing(tmp_path):
    for name in ("a.csv", "a.tsv", "a.jsonl"):
        (tmp_path / name).write_text("text,label\nhello,pos\n", encoding="utf-8")
        error = _text_predictor().predict_file(tmp_path / name).error
        assert error.startswith("a listing of texts, which predict does not read row by row"), error


def test_an_unknown_file_is_still_unknown(tmp_path):
    (tmp_path / "a.xyz").write_text("x", encoding="utf-8")
    assert _text_predictor().predict_file(tmp_path / "a.xyz").error == "not an image, audio or text file this model can read"
