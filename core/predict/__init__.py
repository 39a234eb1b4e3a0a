"""onnxruntime-only inference on exported models (importing this never imports torch)."""

from core.predict.predictor import ModelError, Prediction, Predictor, WindowPrediction

__all__ = ["Predictor", "Prediction", "WindowPrediction", "ModelError"]
