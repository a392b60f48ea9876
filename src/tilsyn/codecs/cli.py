"""`tilsyn decode CODEC HEX [--fport N]`: decode one payload by hand, as ingest would."""

from __future__ import annotations

import argparse
import json
import re
import sys

from tilsyn.cli import Subcommands
from tilsyn.codecs.errors import DecodeError
from tilsyn.codecs.registry import CODEC_NAMES, decode

EXIT_MALFORMED = 2


def register(subcommands: Subcommands) -> None:
    """Add this part's subcommands to the `tilsyn` program."""
    parser = subcommands.add_parser(
        "decode",
        help="decode one device payload and print its fields as JSON",
        description="Decode a payload given in hex (spaces allowed) and print one JSON object.",
    )
    parser.add_argument("codec", choices=CODEC_NAMES, metavar="CODEC", help=", ".join(CODEC_NAMES))
    parser.add_argument("hex", metavar="HEX", help="payload bytes, e.g. 01755C03824408040001")
    parser.add_argument("--fport", type=int, default=None, help="LoRaWAN fPort of the uplink")
    parser.set_defaults(handler=run_decode)


def parse_hex(text: str) -> bytes:
    """Bytes from hex text; spaces, colons and a leading 0x are tolerated as people paste them."""
    digits = re.sub(r"[\s:]", "", text.removeprefix("0x").removeprefix("0X"))
    bad = re.search(r"[^0-9A-Fa-f]", digits)
    if bad is not None:
        raise ValueError(f"bad hex at byte {bad.start() // 2}: {bad.group()!r} is not a hex digit")
    if len(digits) % 2:
        raise ValueError(f"bad hex: odd number of hex digits ({len(digits)})")
    return bytes.fromhex(digits)


def run_decode(args: argparse.Namespace) -> int:
    try:
        fields = decode(args.codec, parse_hex(args.hex), args.fport)
    except DecodeError as error:
        print(f"tilsyn decode: {args.codec}: {error}", file=sys.stderr)
        return EXIT_MALFORMED
    except ValueError as error:
        print(f"tilsyn decode: {error}", file=sys.stderr)
        return EXIT_MALFORMED
    print(json.dumps(fields, ensure_ascii=False))
    return 0
