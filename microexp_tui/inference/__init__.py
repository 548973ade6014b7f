"""Emotion classification with onnxruntime and numpy only: models, cards, live windows.

Never imports TensorFlow, the device layer or the store (tests/test_layout.py checks it).
"""
