#!/usr/bin/env python3
"""Host side of the hitnet UART board wrapper (fpga/hitnet_uart.v).

Sends tokens to a board running icebreaker_top / ulx3s_top and prints the
hidden vectors it answers. Protocol (fpga/README.md):

  host -> device, per token: header byte (bit 0 = start a new sequence,
          bits 7..1 = 0), then ceil(I/4) bytes, trit k in bits
          [2(k%4)+1 : 2(k%4)] of byte k/4; 00 = 0, 01 = +1, 11 = -1.
  device -> host, per token: ceil(H/4) bytes per reported layer (the last
          layer, or every layer in order when built with ALL_LAYERS = 1).

One token is in flight at a time: the next token goes out after the reply.

Token file: one token per line, written as I characters from "+", "-", "0"
(or comma-separated -1/0/1); a line starting with "!" starts a new
sequence; blank lines and lines starting with "#" are skipped. The output
has one line per reported layer and token, in the same notation.

Examples:
  host.py run --port /dev/ttyUSB1 --I 64 --H 64 --layers 1 tokens.txt
  host.py encode --I 5 --first "+-0+-"      (prints the bytes as hex)
  host.py decode --H 5 "0d 03"               (prints the trits)

Only `run` needs pyserial (pip install pyserial).
"""

import argparse
import sys

CODE = {0: 0b00, 1: 0b01, -1: 0b11}


def parse_trits(text):
    """'+-0' or '1,-1,0' -> [1, -1, 0]."""
    text = text.strip()
    if "," in text:
        vals = [int(v) for v in text.split(",") if v.strip()]
    else:
        table = {"+": 1, "-": -1, "0": 0}
        try:
            vals = [table[c] for c in text if not c.isspace()]
        except KeyError as e:
            raise ValueError(f"unknown trit character {e} in {text!r}")
    for v in vals:
        if v not in CODE:
            raise ValueError(f"trit {v} is not -1, 0 or +1")
    return vals


def show_trits(trits):
    return "".join({1: "+", -1: "-", 0: "0"}[t] for t in trits)


def pack_trits(trits):
    """Four trits per byte, trit k in bits [2(k%4)+1 : 2(k%4)], zero-padded."""
    out = bytearray((len(trits) + 3) // 4)
    for k, t in enumerate(trits):
        out[k // 4] |= CODE[t] << (2 * (k % 4))
    return bytes(out)


def unpack_trits(data, n):
    """First n trits of packed bytes; the unused code 10 reads as 0."""
    vals = []
    for k in range(n):
        code = (data[k // 4] >> (2 * (k % 4))) & 0b11
        vals.append({0b01: 1, 0b11: -1}.get(code, 0))
    return vals


def encode_token(first, trits, i):
    if len(trits) != i:
        raise ValueError(f"token has {len(trits)} trits, the accelerator takes I = {i}")
    return bytes([1 if first else 0]) + pack_trits(trits)


def reply_bytes(h, layers, all_layers):
    return ((h + 3) // 4) * (layers if all_layers else 1)


def read_tokens(path):
    tokens = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            first = line.startswith("!")
            tokens.append((first or not tokens, parse_trits(line.lstrip("!"))))
    return tokens


def run(args):
    try:
        import serial  # pyserial
    except ImportError:
        sys.exit("host.py: pyserial is missing; install it with: pip install pyserial")
    tokens = read_tokens(args.tokens)
    n_reply = reply_bytes(args.H, args.layers, args.all_layers)
    per_layer = (args.H + 3) // 4
    out = open(args.output, "w") if args.output else sys.stdout
    with serial.Serial(args.port, args.baud, timeout=args.timeout) as port:
        port.reset_input_buffer()
        for t, (first, trits) in enumerate(tokens):
            port.write(encode_token(first, trits, args.I))
            reply = port.read(n_reply)
            if len(reply) != n_reply:
                sys.exit(
                    f"host.py: token {t}: got {len(reply)} of {n_reply} reply bytes within "
                    f"{args.timeout} s; check --I/--H/--layers/--all-layers against the "
                    "bitstream, the baud rate, and press the reset button to resynchronize"
                )
            for k in range(0, n_reply, per_layer):
                print(show_trits(unpack_trits(reply[k:k + per_layer], args.H)), file=out)
    if args.output:
        out.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("run", help="send a token file to a board and print the replies")
    r.add_argument("tokens", help="token file (see above)")
    r.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB1 (iCEBreaker: the second FTDI interface)")
    r.add_argument("--baud", type=int, default=115200)
    r.add_argument("--I", type=int, required=True, help="input trits per token (manifest.json)")
    r.add_argument("--H", type=int, required=True, help="hidden trits per layer (manifest.json)")
    r.add_argument("--layers", type=int, default=1)
    r.add_argument("--all-layers", action="store_true", help="the bitstream was built with ALL_LAYERS = 1")
    r.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a reply")
    r.add_argument("--output", help="write the replies here instead of stdout")

    e = sub.add_parser("encode", help="print the bytes of one token as hex")
    e.add_argument("--I", type=int, required=True)
    e.add_argument("--first", action="store_true", help="the token starts a new sequence")
    e.add_argument("trits")

    d = sub.add_parser("decode", help="print the trits of one packed h vector")
    d.add_argument("--H", type=int, required=True)
    d.add_argument("hex", help="bytes as hex, spaces allowed")

    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            run(args)
        elif args.cmd == "encode":
            print(encode_token(args.first, parse_trits(args.trits), args.I).hex(" "))
        else:
            data = bytes.fromhex(args.hex)
            if len(data) * 4 < args.H:
                sys.exit(f"host.py: {len(data)} bytes hold fewer than H = {args.H} trits")
            print(show_trits(unpack_trits(data, args.H)))
    except (ValueError, OSError) as err:
        sys.exit(f"host.py: {err}")


if __name__ == "__main__":
    main()
