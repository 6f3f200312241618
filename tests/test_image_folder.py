"""The image_folder dataset: class folders in a folder or an archive, decoded once and cached, one line for every
kind of bad source; colour images kept as uint8 and trained through one batch at a time; predict on colour
images with class names. Every test makes its own small images (CIFAR-10 itself: the skipped test at the end)."""
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

from framework import DataError, registry  # noqa: E402
from framework.run import main as run_main  # noqa: E402

CIFAR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cifar10" / "cifar10-jpeg.zip"


def image_folder(*args, **kw):
    return registry.get("datasets", "image_folder")(*args, **kw)


def make_images(root: Path, classes=("cat", "dog"), n=12, size=(8, 6), mode="RGB", fmt="png", split=False,
                seed=0) -> Path:
    """Class folders of small images whose colour says their class (red cats, blue dogs), so a network learns."""
    r = np.random.default_rng(seed)
    for part in (("train", "test") if split else ("",)):
        for k, cls in enumerate(classes):
            folder = root / part / cls
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n if part != "test" else n // 2):
                a = r.integers(0, 60, (size[1], size[0], 3), dtype=np.uint8)
                a[..., 0 if k == 0 else 2] += 180
                img = Image.fromarray(a)
                (img.convert(mode) if mode != "RGB" else img).save(folder / f"{i}.{fmt}")
    return root


def test_it_passes_the_dataset_conformance_checks(tmp_path):
    from framework import testing

    testing.check_dataset(registry.get("datasets", "image_folder"), path=str(make_images(tmp_path / "p", n=10)),
                          cache=str(tmp_path / "c"))


def test_a_folder_of_class_folders(tmp_path):
    root = make_images(tmp_path / "pets", n=20)
    d = image_folder(str(root), cache=str(tmp_path / "cache"))
    assert d.class_names == ("cat", "dog") and d.image_shape == (3, 6, 8) and d.x_train.dtype == np.uint8
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 40 and d.input_scale == 255.0
    assert sorted(np.bincount(d.y_test)) == [4, 4] and sorted(np.bincount(d.y_val)) == [2, 2]  # stratified
    first = d.x_train[d.y_train == 0].reshape(-1, 3, 6, 8).mean(axis=(0, 2, 3))
    assert first[0] > first[2] + 100  # the cats are red: channels kept in order, (C, H, W) rows
    again = image_folder(str(root), cache=str(tmp_path / "cache"))
    assert all(np.array_equal(getattr(d, k), getattr(again, k)) for k in ("x_train", "x_val", "x_test", "y_train"))


@pytest.mark.parametrize("kind", ["zip", "tar", "tar.gz"])
def test_an_archive_with_train_and_test_inside_a_wrapping_folder(tmp_path, kind):
    root = make_images(tmp_path / "src" / "pets", split=True)
    archive = tmp_path / f"pets.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as z:
            for p in sorted(root.rglob("*.png")):
                z.write(p, p.relative_to(tmp_path / "src"))
    else:
        with tarfile.open(archive, "w:gz" if kind == "tar.gz" else "w") as t:
            t.add(root, arcname="pets")
    d = image_folder(str(archive), cache=str(tmp_path / "cache"))
    assert len(d.x_test) == 12 and len(d.x_train) + len(d.x_val) == 24  # test/ is the test set
    assert d.class_names == ("cat", "dog")


def test_grayscale_is_found_and_sizes_are_checked_or_converted(tmp_path):
    grey = make_images(tmp_path / "grey", mode="L")
    d = image_folder(str(grey), cache=str(tmp_path / "c"))
    assert d.image_shape == (6, 8) and d.input_shape == (1, 6, 8)
    mixed = make_images(tmp_path / "mixed", n=4)
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(mixed / "dog" / "big.png")
    with pytest.raises(DataError, match=r"images of different sizes .* give size and a resize rule"):
        image_folder(str(mixed), cache=str(tmp_path / "c"))
    with pytest.raises(DataError, match=r"big.png: 10x10 pixels, expected 8x6 \(resize"):
        image_folder(str(mixed), size=[6, 8], cache=str(tmp_path / "c"))
    for rule in ("stretch", "crop", "pad"):
        d = image_folder(str(mixed), size=[6, 8], resize=rule, cache=str(tmp_path / "c"))
        assert d.image_shape == (3, 6, 8) and len(d.x_train) + len(d.x_val) + len(d.x_test) == 9
    d = image_folder(str(mixed), size=4, resize="crop", color="grayscale", cache=str(tmp_path / "c"))
    assert d.image_shape == (4, 4)


@pytest.mark.parametrize("make, message", [
    (lambda p: (p / "cat" / "x.png").write_bytes(b"not a png"), r"cat/x.png: not a readable image .*skip_bad"),
    (lambda p: (p / "bird").mkdir(), r"class folder bird holds no images"),
    (lambda p: [f.unlink() for f in (p / "dog").iterdir()] and (p / "dog").rmdir(), r"one class folder \('cat'\)"),
])
def test_bad_sources_are_one_line(tmp_path, make, message):
    root = make_images(tmp_path / "pets", n=4)
    make(root)
    with pytest.raises(DataError, match=message):
        image_folder(str(root), cache=str(tmp_path / "c"))


def test_not_an_archive_and_skip_bad(tmp_path, capsys):
    (tmp_path / "photos.zip").write_bytes(b"PK nothing")
    with pytest.raises(DataError, match=r"photos.zip: not a folder, a .zip or a .tar archive"):
        image_folder(str(tmp_path / "photos.zip"))
    with pytest.raises(DataError, match=r"no such folder or archive"):
        image_folder(str(tmp_path / "missing"))
    root = make_images(tmp_path / "pets", n=6)
    (root / "cat" / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    d = image_folder(str(root), skip_bad=True, cache=str(tmp_path / "c"))
    assert len(d.x_train) + len(d.x_val) + len(d.x_test) == 12
    assert "skipped 1 unreadable file" in capsys.readouterr().err


def test_the_cache_follows_the_source(tmp_path):
    root = make_images(tmp_path / "pets", n=6)
    cache = tmp_path / "c"
    image_folder(str(root), cache=str(cache))
    assert len(list(cache.glob("*.npz"))) == 1
    image_folder(str(root), cache=str(cache))
    assert len(list(cache.glob("*.npz"))) == 1  # reused
    Image.fromarray(np.zeros((6, 8, 3), np.uint8)).save(root / "dog" / "new.png")
    d = image_folder(str(root), cache=str(cache))
    assert len(list(cache.glob("*.npz"))) == 2 and len(d.x_train) + len(d.x_val) + len(d.x_test) == 13
    assert not list(cache.glob("*.tmp*"))


def test_a_colour_run_trains_from_uint8_and_predicts_with_class_names(tmp_path, capsys, repo_root):
    root = make_images(tmp_path / "pets", n=40, size=(8, 8))
    model = ("{'name': 'sequential', 'layers': [{'name': 'conv2d', 'filters': 4}, 'relu', 'max_pool2d', 'flatten', "
             "{'name': 'dense', 'units': 'outputs'}]}")
    code = run_main([str(repo_root / "recipes" / "mnist_adam.py"),
                     "--set", f"dataset={{'name': 'image_folder', 'path': {str(root)!r}, 'cache': "
                     f"{str(tmp_path / 'c')!r}}}", "--set", f"model={model}", "--set", "epochs=4", "--set",
                     "batch_size=8", "--set", "loggers=['tensorboard']", "--set",
                     "augmentations=[{'name': 'random_crop', 'padding': 1}, 'flip']",
                     "--logdir", str(tmp_path / "logs"), "--name", "r"])
    out, err = capsys.readouterr()
    assert code == 0, err
    run_dir = tmp_path / "logs" / "mnist_adam" / "r"
    final = json.loads((run_dir / "summary.json").read_text())["final"]
    assert final["test_accuracy"] == 1.0  # red against blue
    from tb_events import load, texts

    mux = load(run_dir)
    assert "train/batch_images" in mux.Runs()["train"]["images"]  # a colour grid, captioned by class name
    caption = texts(mux, "train")["batch_images_classes/text_summary"]
    assert caption.startswith("row 1: ") and set(caption.replace("|", " ").split()) - {"row"} <= \
        {"cat", "dog", "1:", "2:", "3:", "4:", "5:", "6:", "7:", "8:"}
    from framework.predict import main as predict_main

    Image.fromarray(np.full((16, 16, 3), (230, 20, 20), np.uint8)).save(tmp_path / "red.png")
    assert predict_main([str(run_dir), str(tmp_path / "red.png")]) == 0
    out, err = capsys.readouterr()
    assert "cat" in out and "resized from 16x16 to 8x8" in err
    import framework

    model = framework.load(run_dir)
    assert model.classes == ["cat", "dog"]
    blue = np.zeros((1, 8, 8, 3)) + np.array([20, 20, 230])
    assert list(model.predict(blue)) == [1] and list(model.predict(blue.transpose(0, 3, 1, 2))) == [1]


def test_random_crop_reflects_and_keeps_each_image_whole():
    from framework import testing

    testing.check_augmentation(registry.get("augmentations", "random_crop"), padding=2)
    crop = registry.get("augmentations", "random_crop")(padding=1)
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float32).reshape(2, 3, 4, 4)
    y = crop.transform(x, np.random.default_rng(0))
    assert y.shape == x.shape
    for i in range(2):  # each output is a window of the image padded by reflection
        padded = np.pad(x[i], ((0, 0), (1, 1), (1, 1)), mode="reflect")
        assert any(np.array_equal(y[i], padded[:, a:a + 4, b:b + 4]) for a in range(3) for b in range(3))
    flip = registry.get("augmentations", "flip")()
    assert np.array_equal(flip.transform(x, None), x[..., ::-1])  # colour: the columns, not the channels


@pytest.mark.skipif(not CIFAR.is_file(), reason=f"CIFAR-10 is not at {CIFAR} (shared/datasets, see its README)")
def test_cifar10_reads_as_its_readme_says(tmp_path):
    d = image_folder(str(CIFAR), cache=str(tmp_path / "c"))
    assert d.class_names[:3] == ("airplane", "automobile", "bird") and len(d.x_test) == 10_000
    assert len(d.x_train) + len(d.x_val) == 50_000 and d.image_shape == (3, 32, 32)
    means = d.x_test.reshape(-1, 3, 32 * 32).mean(axis=(0, 2)) / 255
    assert np.allclose(means, [0.492, 0.483, 0.447], atol=0.01)
