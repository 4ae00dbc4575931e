#!/usr/bin/python3
"""scikit-learn's side of nnpipe's parity test (TestParityWithScikitLearn).

Writes the two tables both sides train on, with the split each uses, and prints
scikit-learn's MLPClassifier results for the settings the test runs:

  iris_parity.csv     Fisher's iris (../../../../data/iris.csv), a stratified
                      70/30 split drawn with RandomState(0), in column `part`
  mixture_parity.csv  the book's Gaussian mixture, n = 1000, drawn as the book
                      draws it after np.random.seed(1); the first half trains

nnpipe loads these files and splits by `part` (split: {column: part}), so both
sides train and test on the same rows; the iris features are standardised with
the training rows' mean and population deviation on both sides (nnpipe's
standardize stage, scikit-learn's StandardScaler).

and writes sklearn.json, the results the test compares nnpipe's with. Run from
this folder with Debian's python3 (numpy 1.24.2, scikit-learn 1.2.1):
  /usr/bin/python3 parity.py
"""
import csv
import json
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

warnings.simplefilter("ignore", ConvergenceWarning)
warnings.filterwarnings("ignore", message="Got `batch_size`")  # iris's 200 is clipped to its rows


def write_iris():
    with open("../../../../data/iris.csv") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    rs = np.random.RandomState(0)
    part = ["test"] * len(rows)
    for species in sorted({r[-1] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r[-1] == species]
        idx = list(rs.permutation(idx))
        for i in idx[: round(0.7 * len(idx))]:
            part[i] = "train"
    with open("iris_parity.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header + ["part"])
        for r, p in zip(rows, part):
            w.writerow(r + [p])


def write_mixture(n=1000):
    # The book's chapter 7 data: a class by one rand(), then two randn().
    np.random.seed(1)
    cum = [0.4, 0.8, 1.0]
    mu = [[-0.5, -0.5], [0.5, 1.0], [1, -0.5]]
    sig = [[0.7, 0.7], [0.8, 0.3], [0.3, 0.8]]
    with open("mixture_parity.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x0", "x1", "label", "part"])
        for i in range(n):
            wk = np.random.rand()
            c = next(k for k in range(3) if wk < cum[k])
            x0 = np.random.randn() * sig[c][0] + mu[c][0]
            x1 = np.random.randn() * sig[c][1] + mu[c][1]
            w.writerow([repr(float(x0)), repr(float(x1)), c, "train" if i < n // 2 else "test"])


def load(path, label):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    feats = [k for k in rows[0] if k not in (label, "part")]
    x = np.array([[float(r[k]) for k in feats] for r in rows])
    y = np.array([r[label] for r in rows])
    train = np.array([r["part"] == "train" for r in rows])
    return x[train], y[train], x[~train], y[~train]


# The settings TestParityWithScikitLearn runs (parity-iris.yaml, parity-mixture.yaml),
# nnpipe's keys in the comments. Early stopping monitors the validation accuracy, as
# scikit-learn's does (nnpipe: early_stopping.monitor: accuracy); with half the training
# rows held out it picks well-trained weights on iris too (a tenth, 5 rows a class, makes
# its choice, and iris's test accuracy, a matter of luck: ±0.05-0.09 between seeds).
DATASETS = {
    "iris": dict(path="iris_parity.csv", label="species", scale=True),
    "mixture": dict(path="mixture_parity.csv", label="label", scale=False),
}
SETTINGS = {
    "hidden": 8,                # hidden
    "learning_rate": 0.1,       # learning_rate
    "validation_fraction": 0.5, # early_stopping.validation_fraction
    "n_iter_no_change": 50,     # early_stopping.patience: 51 (nnpipe stops after patience
                                # epochs without improvement, scikit-learn after one more)
    "max_iter": 3000,           # steps: enough updates that early stopping ends training
}
SEEDS = [1, 2, 3, 4, 5]         # init.seed
BATCHES = [32, 200]             # batch_size (iris: 0, all rows; see parity-iris.yaml)


def main():
    write_iris()
    write_mixture()
    out = {"settings": SETTINGS, "seeds": SEEDS, "results": {}}
    for name, d in DATASETS.items():
        xtr, ytr, xte, yte = load(d["path"], d["label"])
        if d["scale"]:
            sc = StandardScaler().fit(xtr)
            xtr, xte = sc.transform(xtr), sc.transform(xte)
        for batch in BATCHES:
            accs, epochs = [], []
            for seed in SEEDS:
                m = MLPClassifier(
                    hidden_layer_sizes=(SETTINGS["hidden"],),
                    activation="logistic",    # nnpipe's hidden layer
                    solver="adam",            # optimizer: adam (beta1 0.9, beta2 0.999, 1e-8)
                    alpha=1e-4,               # l2
                    batch_size=batch,         # clipped to the training rows, as iris's 200
                    learning_rate_init=SETTINGS["learning_rate"],
                    max_iter=SETTINGS["max_iter"],
                    early_stopping=True,      # early_stopping, stratified, seeded
                    validation_fraction=SETTINGS["validation_fraction"],
                    n_iter_no_change=SETTINGS["n_iter_no_change"],
                    random_state=seed,
                )
                m.fit(xtr, ytr)
                accs.append(float(m.score(xte, yte)))
                epochs.append(m.n_iter_)
            key = f"{name}/batch={batch}"
            out["results"][key] = {"test_accuracy": accs, "mean": float(np.mean(accs)), "epochs": epochs}
            print(f"{key:20s} mean test accuracy {np.mean(accs):.4f} ± {np.std(accs, ddof=1):.4f}  "
                  f"per seed {['%.4f' % a for a in accs]}  epochs {epochs}")
    with open("sklearn.json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
