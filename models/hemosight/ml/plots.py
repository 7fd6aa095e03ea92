"""Figures of the ML commands (confusion matrix, label-efficiency curve, active-learning curves).

Kept apart from the metrics so that nothing the API or the worker imports pulls in matplotlib
(the `train` extra); only `hemosight evaluate`, `label-curve` and `simulate-al` import this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from hemosight.ml.active_learning import power_law


def plot_confusion_matrix(report: dict[str, Any], path: Path, title: str = "") -> Path:
    matrix = np.asarray(report["confusion_matrix"])
    classes = report["classes"]
    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(classes), 1 + 0.55 * len(classes)))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(
                j,
                i,
                str(matrix[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if matrix[i, j] > matrix.max() / 2 else "black",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"macro F1 {report['macro_f1']:.3f}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_label_curve(curve: dict[str, Any], path: Path, title: str = "") -> Path:
    sizes = [p["support_size"] for p in curve["points"]]
    means = np.array([p["macro_f1_mean"] for p in curve["points"]])
    stds = np.array([p["macro_f1_std"] for p in curve["points"]])
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.errorbar(sizes, means, yerr=stds, marker="o", capsize=3)
    ax.set_xscale("log")
    ax.set_xlabel("labelled support cells")
    ax.set_ylabel("macro F1")
    ax.set_title(title or "label efficiency")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_learning_curves(summary: dict[str, Any], path: Any, title: str = "") -> Any:
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for strategy, s in summary["strategies"].items():
        sizes = np.asarray(s["support_size"])
        mean, std = np.asarray(s["macro_f1_mean"]), np.asarray(s["macro_f1_std"])
        (line,) = ax.plot(sizes, mean, marker="o", markersize=3, label=strategy)
        ax.fill_between(sizes, mean - std, mean + std, color=line.get_color(), alpha=0.15)
        fit = s.get("power_law")
        if fit:
            grid = np.linspace(sizes.min(), sizes.max(), 100)
            ax.plot(grid, power_law(grid, fit["p_max"], fit["k"], fit["n0"], fit["r"]), "--", color=line.get_color())
    ax.set_xlabel("labelled cells")
    ax.set_ylabel("macro F1")
    ax.set_title(title or "active learning")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
