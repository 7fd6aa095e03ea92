"""HemoSight ML core: preprocessing, encoder, triplet training, label-set classifiers,
landscape (t-SNE), neighbours, active learning, evaluation and model bundles.

Importing this package (or `models.imageio`, `models.preprocessing`) never imports
TensorFlow: the backend validates uploads with it and must stay TensorFlow-free.
"""

__version__ = "0.1.0"
