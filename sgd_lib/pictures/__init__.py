"""The pictures: themes, the canvas and frame engine, the encoders, and the figures drawn
from training runs (the registry in figures.py)."""
