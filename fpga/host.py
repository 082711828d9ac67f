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

The language-model ends (fpga/hitnet_lm_uart.v, a build of a config with
[lm]) speak words instead:

  host -> device, per word: flags (bit 0 = start a new sequence), the
          token id, the feed count (tokens to generate after it) low byte,
          high byte.
  device -> host: one byte per chosen token (feed + 1 per word).

`generate` sends a prompt one character per word (the last word feeds
back --chars - 1 tokens) and prints the prompt and the generated text; the
vocabulary comes from the build's gen/manifest.json (lm.vocab).

The classifier ends (fpga/hitnet_cls_uart.v, a build of a config with
[classifier]) take feature frames and answer a class:

  host -> device, per frame: flags (bit 0 = the first frame of a
          sequence, bit 1 = its last), then each channel's 16-bit sample,
          two's complement, little-endian: round(v * 2^frac_bits), half
          away from zero, saturated (v read as a 32-bit float).
  device -> host, after a sequence's last frame: the class byte, then
          ceil(score_bits / 8) bytes of its logit, little-endian.

A sequence's frames go back to back; the next sequence after the answer.
`classify` sends every series of a UEA .ts file and prints the class the
board answers beside the label; frac_bits, score_bits and the class names
come from the build's gen/manifest.json (classifier).

Examples:
  host.py classify --port /dev/ttyUSB1 --manifest build/icebreaker-bm/gen/manifest.json BasicMotions_TEST.ts
  host.py encode-frame --first --last 256 -512 0   (prints the bytes as hex)
  host.py decode-answer "02 fb ff ff ff"           (prints the class and the logit)
  host.py run --port /dev/ttyUSB1 --I 64 --H 64 --layers 1 tokens.txt
  host.py generate --port /dev/ttyUSB1 --manifest build/ulx3s-lm/gen/manifest.json --chars 32 "ROMEO:"
  host.py encode-word --first --token 5 --feed 31   (prints the bytes as hex)
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


def encode_word(first, token, feed):
    """The 4 bytes of one word of the language-model ends."""
    if not 0 <= token <= 255:
        raise ValueError(f"token id {token} is not in 0..255")
    if not 0 <= feed <= 0xFFFF:
        raise ValueError(f"feed {feed} is not in 0..65535")
    return bytes([1 if first else 0, token, feed & 0xFF, feed >> 8])


def prompt_words(ids, chars):
    """A prompt as words: the first starts a sequence, the last feeds back
    chars - 1 tokens (hitnet_model::lm::TokenWord::prompt)."""
    n = len(ids)
    return [(k == 0, t, chars - 1 if k == n - 1 else 0) for k, t in enumerate(ids)]


SAMPLE_MIN, SAMPLE_MAX = -32768, 32767


def fixed_sample(v, frac_bits):
    """hitnet_model::classify::InputQuantizer::sample of v read as f32."""
    import math
    import struct

    v = struct.unpack("<f", struct.pack("<f", v))[0]
    x = v * (1 << frac_bits)
    if math.isnan(x):
        return 0
    r = math.floor(abs(x) + 0.5)
    r = -r if x < 0 else r
    return int(max(SAMPLE_MIN, min(SAMPLE_MAX, r)))


def encode_frame(first, last, samples):
    """The bytes of one frame of the classifier ends."""
    out = bytearray([(1 if first else 0) | (2 if last else 0)])
    for x in samples:
        if not SAMPLE_MIN <= x <= SAMPLE_MAX:
            raise ValueError(f"sample {x} is not a 16-bit value")
        out += (x & 0xFFFF).to_bytes(2, "little")
    return bytes(out)


def decode_answer(data):
    """(class, logit) of the classifier's answer bytes."""
    if len(data) < 2:
        raise ValueError("an answer has a class byte and at least one logit byte")
    return data[0], int.from_bytes(data[1:], "little", signed=True)


def read_ts(path):
    """The series of a UEA .ts file: [(channels x frames floats, label)]."""
    series, data = [], False
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not data:
                data = line.lower().startswith("@data")
                continue
            *chans, label = line.split(":")
            try:
                vals = [[float(v) for v in c.split(",") if v.strip()] for c in chans]
            except ValueError as e:
                raise ValueError(f"{path}:{n}: {e}")
            if len({len(c) for c in vals}) != 1:
                raise ValueError(f"{path}:{n}: the channels differ in length")
            series.append((vals, label.strip()))
    return series


def classify(args):
    import json

    try:
        import serial  # pyserial
    except ImportError:
        sys.exit("host.py: pyserial is missing; install it with: pip install pyserial")
    with open(args.manifest) as f:
        c = json.load(f).get("classifier")
    if not c:
        sys.exit(f"host.py: {args.manifest} has no classifier; build a config with a [classifier] section")
    names, frac, n_ans = c["classes"], c["frac_bits"], 1 + (c["score_bits"] + 7) // 8
    series = read_ts(args.test)[: args.sequences]
    right = 0
    with serial.Serial(args.port, args.baud, timeout=args.timeout) as port:
        port.reset_input_buffer()
        for k, (chans, label) in enumerate(series):
            if len(chans) != c["channels"]:
                sys.exit(f"host.py: series {k} has {len(chans)} channels, the model {c['channels']}")
            t_n = len(chans[0])
            for t in range(t_n):
                port.write(encode_frame(t == 0, t == t_n - 1, [fixed_sample(ch[t], frac) for ch in chans]))
            reply = port.read(n_ans)
            if len(reply) != n_ans:
                sys.exit(
                    f"host.py: series {k}: got {len(reply)} of {n_ans} bytes within {args.timeout} s; "
                    "check the bitstream, the flash image and the baud rate, and press the reset button"
                )
            cls, logit = decode_answer(reply)
            name = names[cls] if cls < len(names) else f"?{cls}"
            right += name == label
            print(f"{k}\t{name}\t{label}\t{logit}")
    print(f"accuracy {right}/{len(series)}")


def generate(args):
    import json

    try:
        import serial  # pyserial
    except ImportError:
        sys.exit("host.py: pyserial is missing; install it with: pip install pyserial")
    with open(args.manifest) as f:
        vocab = json.load(f).get("lm", {}).get("vocab")
    if not vocab:
        sys.exit(f"host.py: {args.manifest} has no lm.vocab; build a config with an [lm] section")
    prompt = args.prompt.encode().decode("unicode_escape") if args.escapes else args.prompt
    if not prompt:
        sys.exit("host.py: the prompt is empty")
    try:
        ids = [vocab.index(ch) for ch in prompt]
    except ValueError:
        bad = next(ch for ch in prompt if ch not in vocab)
        sys.exit(f"host.py: {bad!r} is not in the model's vocabulary")
    text = []
    with serial.Serial(args.port, args.baud, timeout=args.timeout) as port:
        port.reset_input_buffer()
        for k, (first, tok, feed) in enumerate(prompt_words(ids, args.chars)):
            port.write(encode_word(first, tok, feed))
            reply = port.read(feed + 1)
            if len(reply) != feed + 1:
                sys.exit(
                    f"host.py: word {k}: got {len(reply)} of {feed + 1} bytes within {args.timeout} s; "
                    "check the bitstream and the baud rate, and press the reset button"
                )
            text = [vocab[b] if b < len(vocab) else "?" for b in reply]
    print(prompt + "".join(text))


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

    g = sub.add_parser("generate", help="generate text after a prompt on a build of the language-model ends")
    g.add_argument("prompt")
    g.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0 (ULX3S)")
    g.add_argument("--manifest", required=True, help="the build's gen/manifest.json (its lm.vocab)")
    g.add_argument("--chars", type=int, default=32, help="tokens to generate")
    g.add_argument("--escapes", action="store_true", help="read \\n etc. in the prompt")
    g.add_argument("--baud", type=int, default=115200)
    g.add_argument("--timeout", type=float, default=5.0)

    w = sub.add_parser("encode-word", help="print the bytes of one word of the language-model ends as hex")
    w.add_argument("--first", action="store_true")
    w.add_argument("--token", type=int, required=True)
    w.add_argument("--feed", type=int, default=0)

    c = sub.add_parser("classify", help="classify the series of a UEA .ts file on a build of the classifier ends")
    c.add_argument("test", help="a UEA .ts file")
    c.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB1 (iCEBreaker)")
    c.add_argument("--manifest", required=True, help="the build's gen/manifest.json (its classifier)")
    c.add_argument("--sequences", type=int, default=None, help="the first N series only")
    c.add_argument("--baud", type=int, default=115200)
    c.add_argument("--timeout", type=float, default=5.0)

    f = sub.add_parser("encode-frame", help="print the bytes of one frame of the classifier ends as hex")
    f.add_argument("--first", action="store_true")
    f.add_argument("--last", action="store_true")
    f.add_argument("samples", nargs="*", type=int)

    a = sub.add_parser("decode-answer", help="print the class and logit of the classifier's answer")
    a.add_argument("hex", help="bytes as hex, spaces allowed")

    s = sub.add_parser("sample", help="print the fixed-point samples of real values")
    s.add_argument("--frac-bits", type=int, required=True)
    s.add_argument("values", nargs="+", type=float)

    args = ap.parse_args(argv)
    try:
        if args.cmd == "run":
            run(args)
        elif args.cmd == "generate":
            generate(args)
        elif args.cmd == "classify":
            classify(args)
        elif args.cmd == "encode-frame":
            print(encode_frame(args.first, args.last, args.samples).hex(" "))
        elif args.cmd == "decode-answer":
            print(*decode_answer(bytes.fromhex(args.hex)))
        elif args.cmd == "sample":
            print(*[fixed_sample(v, args.frac_bits) for v in args.values])
        elif args.cmd == "encode-word":
            print(encode_word(args.first, args.token, args.feed).hex(" "))
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
