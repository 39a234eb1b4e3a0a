"""ONNX export with preprocessing and labels inside, verified in onnxruntime."""
