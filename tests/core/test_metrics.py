import numpy as np
import pytest

from core.evaluate.metrics import confusion_matrix, evaluate, expected_calibration_error


def test_metrics_on_a_hand_checked_example():
    classes = ["cat", "dog", "bird"]
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    probs = np.array([
        [0.9, 0.05, 0.05], [0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1],  # one cat called dog
        [0.1, 0.8, 0.1], [0.3, 0.6, 0.1],
        [0.1, 0.1, 0.8], [0.05, 0.9, 0.05],  # one bird called dog, very confidently
    ])
    ev = evaluate(probs, y, classes)
    assert ev.accuracy == pytest.approx(6 / 8)
    assert ev.balanced_accuracy == pytest.approx((3 / 4 + 1 + 1 / 2) / 3)
    assert ev.confusion == [[3, 1, 0], [0, 2, 0], [0, 1, 1]]
    dog = ev.per_class[1]
    assert (dog.precision, dog.recall, dog.support) == (pytest.approx(2 / 4), 1.0, 2)
    assert dog.f1 == pytest.approx(2 * 0.5 * 1 / 1.5)
    # worst mistake first: the bird at 0.05 has the larger loss
    assert [(m.true_label, m.predicted_label) for m in ev.mistakes] == [("bird", "dog"), ("cat", "dog")]
    assert ev.mistakes[0].confidence == pytest.approx(0.9)
    assert ev.mistakes[0].loss == pytest.approx(-np.log(0.05))
    assert ev.loss == pytest.approx(np.mean(-np.log(probs[np.arange(8), y])))


def test_ece_is_zero_when_calibrated_and_large_when_overconfident():
    y = np.array([0] * 8 + [1] * 2)
    calibrated = np.tile([0.8, 0.2], (10, 1))
    assert expected_calibration_error(calibrated, y) == pytest.approx(0.0)
    over = np.tile([0.99, 0.01], (10, 1))
    assert expected_calibration_error(over, y) == pytest.approx(0.19)


def test_empty_and_absent_classes_do_not_crash():
    ev = evaluate(np.zeros((0, 2)), np.zeros(0, dtype=int), ["a", "b"])
    assert ev.count == 0 and ev.accuracy == 0.0
    ev = evaluate(np.array([[0.9, 0.1, 0.0]]), np.array([0]), ["a", "b", "c"])
    assert ev.balanced_accuracy == 1.0 and ev.per_class[2].support == 0
    assert confusion_matrix(np.array([1]), np.array([0]), 2).tolist() == [[0, 0], [1, 0]]
