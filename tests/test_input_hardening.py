"""Issue #11, items 5–9: hostile or odd input gives one sentence (ImageError, ValueError, CLI exit 2), and the
cost of a huge picture is bounded before any model work."""

import io
import math
import tracemalloc

import numpy as np
import pytest
from PIL import Image

from cam_methods import ImageError, explain, load_image
from cam_methods.__main__ import main
from cam_methods.images import DISPLAY_SIDE
from cam_methods.render import overlay
from studio.choices import check_display, parse_gamma

# EXIF blocks found by mutating a valid one (orientation 6, make "Canon", an Exif sub-IFD) a few bytes at a
# time; Pillow's EXIF reader raised struct.error or TypeError on each, which escaped as a server fault.
MALFORMED_EXIF = {
    "struct.error": "4578696600004d4d002a000000080003010700020000000600000032011200030000000100060000876900040000007c"
    "fc0000380000000043616e6f6e000001900300020000000b0000004a00000000323032300030313a303100cc",
    "TypeError": "4578696600004d4d002a000000080003013e0002000000060000003201120003000000010006000087690004000000"
    "01000000386000000043616e6fc3000001900315020000000b0000004a00000000323032303a30313a30310000",
}
# PPM / PGM headers that Pillow rejects with a raw ValueError ("invalid literal for int()" ...).
MALFORMED_NETPBM = [b"P6\n12 abc\n255\n", b"P6\n20 20\n99999999999\n", b"P5\n20 20\n-3\n"]


def encode(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Truncated File Read")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("raised", sorted(MALFORMED_EXIF))
def test_malformed_exif_is_one_image_error(fmt, raised):
    data = encode(Image.new("RGB", (64, 48), "red"), fmt, exif=bytes.fromhex(MALFORMED_EXIF[raised]))
    with pytest.raises(ImageError, match="could not be decoded"):
        load_image(data)


@pytest.mark.parametrize("header", MALFORMED_NETPBM)
def test_malformed_netpbm_headers_are_one_image_error(header):
    with pytest.raises(ImageError, match="could not be read"):
        load_image(header + bytes(1200))


def test_cli_reports_malformed_exif_in_one_line(tmp_path, capsys):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encode(Image.new("RGB", (64, 48)), "JPEG", exif=bytes.fromhex(MALFORMED_EXIF["TypeError"])))
    assert main([str(photo), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The image could not be decoded") and err.count("\n") == 1


def test_the_shape_check_runs_once_before_the_shrink(lite0, tmp_path, capsys):
    # 1200×100 is exactly 12:1 and allowed; shrunk to 1024 px it is 1024×85, which must not be re-checked.
    shrunk = load_image(encode(Image.new("RGB", (1200, 100), "gray")), max_side=DISPLAY_SIDE)
    assert shrunk.size == (1024, 85)
    # past 4:1 the whole frame keeps a short side of 96 and centre-crops the long side to 448
    assert explain(lite0, shrunk, ["gradcam"]).maps["gradcam"].shape == (96, 448)
    path = tmp_path / "strip.png"
    Image.new("RGB", (1200, 100), "gray").save(path)
    assert main([str(path), "--methods", "gradcam", "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err


def test_sixteen_bit_pictures_are_shrunk_before_they_are_rescaled():
    # 10 MP of 16-bit values: rescaling at full size in float64 allocated 80 MB per array (tracemalloc sees
    # NumPy's buffers); shrinking first keeps NumPy's share to a few MB, and the rescale still spans 0…255.
    ramp = (np.arange(4000, dtype=np.uint16)[None, :] * 16).repeat(2500, axis=0)
    data = encode(Image.fromarray(ramp))  # uint16 → mode I;16
    tracemalloc.start()
    try:
        image = load_image(data, max_side=DISPLAY_SIDE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert image.size == (1024, 640) and image.getextrema()[0] == (0, 255)
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB traced while loading"


def test_large_jpegs_come_out_at_the_display_size():
    data = encode(Image.new("RGB", (4000, 3000), "blue"), "JPEG", quality=50)
    assert load_image(data, max_side=DISPLAY_SIDE).size == (1024, 768)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_everywhere(lite0, chelsea_path, value):
    with pytest.raises(ValueError, match="finite"):
        explain(lite0, chelsea_path, ["finer-gradcam"], finer_gamma=value)
    with pytest.raises(ValueError, match="γ"):
        parse_gamma(value)
    with pytest.raises(ValueError, match="opacity"):
        check_display("jet", value, False)
    with pytest.raises(ValueError, match="opacity"):
        overlay(Image.new("RGB", (8, 8)), np.zeros((8, 8)), opacity=value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--finer-gamma", "nan"], "finite"),
        (["--finer-alpha", "inf"], "finite"),
        (["--finer-refs", "100000"], "from 1 to 50"),
        (["--opacity", "nan"], "opacity"),
        (["--target", "²"], "unknown class"),
    ],
)
def test_cli_refuses_bad_numbers_in_one_line(tmp_path, chelsea_path, capsys, args, message):
    assert main([chelsea_path, "--methods", "finer-gradcam", "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_out_must_be_a_writable_folder(tmp_path, chelsea_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("not a folder")
    assert main([chelsea_path, "--out", str(a_file)]) == 2
    assert main([chelsea_path, "--out", str(a_file / "inside")]) == 2
    first, second = capsys.readouterr().err.splitlines()
    assert "is a file" in first and "cannot be created" in second
    assert a_file.read_text() == "not a folder"


def test_cli_explains_the_shrunk_picture(tmp_path, monkeypatch):
    seen = []

    def record_and_stop(backbone, image, *args, **kwargs):
        seen.append(image)
        raise ValueError("stopped by the test")

    monkeypatch.setattr("cam_methods.__main__.explain", record_and_stop)
    path = tmp_path / "big.png"
    Image.new("RGB", (3000, 2000), "white").save(path)
    assert main([str(path), "--out", str(tmp_path / "out")]) == 2
    assert seen[0].size == (1024, 683)
