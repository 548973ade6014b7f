"""Model training (optional `train` extra): loaders, architectures, protocols, ONNX export.

Only `tf_runtime` imports TensorFlow/Keras, and only when training runs: loading data and
evaluating an exported model (`microexp evaluate`) work with onnxruntime alone.
"""
