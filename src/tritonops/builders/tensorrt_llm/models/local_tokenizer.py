"""A word-level ``tokenizer.json`` reader for machines without ``transformers`` installed.

The preprocessing and postprocessing models use ``transformers.AutoTokenizer`` whenever it is
installed (NVIDIA's TensorRT-LLM container has it). Where it is not, this file reads the
subset of the Hugging Face ``tokenizers`` JSON format that word-level tokenizers use: a
``WordLevel`` model, an optional ``Lowercase`` normalizer, a ``Whitespace`` or
``WhitespaceSplit`` pre-tokenizer, and a ``TemplateProcessing`` post-processor for the special
tokens of a single sequence. Any other tokenizer is refused with a message that names the
package to install. Decoding joins tokens with spaces, as ``tokenizers`` does without a decoder.
"""

import json
import os
import re

# tokenizers' Whitespace pre-tokenizer splits on this pattern
_WHITESPACE = re.compile(r"\w+|[^\w\s]+")


class LocalTokenizerError(ValueError):
    pass


def _refuse(what):
    return LocalTokenizerError(
        f"{what}: this tokenizer needs the `transformers` package (pip install transformers "
        "in the environment the python backend runs) — the built-in reader only handles "
        "word-level tokenizer.json files"
    )


def _special(folder, name):
    for file in ("special_tokens_map.json", "tokenizer_config.json"):
        path = os.path.join(folder, file)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                value = json.load(handle).get(name)
            if isinstance(value, dict):
                value = value.get("content")
            if isinstance(value, str):
                return value
    return None


class WordLevelTokenizer:
    """The few ``AutoTokenizer`` members the models use: encode, decode, ids of special tokens."""

    def __init__(self, folder):
        path = os.path.join(folder, "tokenizer.json")
        if not os.path.isfile(path):
            raise _refuse(f"{folder} has no tokenizer.json")
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        model = data.get("model") or {}
        if model.get("type") != "WordLevel":
            raise _refuse(f"{path}: model type {model.get('type')!r}")
        self.vocab = dict(model.get("vocab") or {})
        added = data.get("added_tokens") or []
        self.vocab.update({t["content"]: t["id"] for t in added})
        self.special_ids = {t["id"] for t in added if t.get("special")}
        self.tokens = {index: token for token, index in self.vocab.items()}
        self.unk_token = model.get("unk_token")
        normalizer = (data.get("normalizer") or {}).get("type")
        if normalizer not in (None, "Lowercase"):
            raise _refuse(f"{path}: normalizer {normalizer!r}")
        self.lowercase = normalizer == "Lowercase"
        pre = (data.get("pre_tokenizer") or {}).get("type")
        if pre not in ("Whitespace", "WhitespaceSplit"):
            raise _refuse(f"{path}: pre_tokenizer {pre!r}")
        self.split = _WHITESPACE.findall if pre == "Whitespace" else str.split
        self.prefix, self.suffix = self._template(data.get("post_processor"), path)
        self.eos_token = _special(folder, "eos_token")
        self.pad_token = _special(folder, "pad_token")

    def _template(self, post, path):
        if post is None:
            return [], []
        if post.get("type") != "TemplateProcessing":
            raise _refuse(f"{path}: post_processor {post.get('type')!r}")
        before, after, seen = [], [], False
        for piece in post.get("single") or []:
            if "Sequence" in piece:
                seen = True
                continue
            token = piece.get("SpecialToken", {}).get("id")
            ids = (post.get("special_tokens") or {}).get(token, {}).get("ids") or []
            (after if seen else before).extend(ids)
        return before, after

    @property
    def eos_token_id(self):
        return self.vocab.get(self.eos_token) if self.eos_token else None

    @property
    def pad_token_id(self):
        return self.vocab.get(self.pad_token) if self.pad_token else None

    def __len__(self):
        return max(self.tokens) + 1 if self.tokens else 0

    def encode(self, text, add_special_tokens=True):
        if self.lowercase:
            text = text.lower()
        unk = self.vocab.get(self.unk_token) if self.unk_token else None
        ids = []
        for word in self.split(text):
            index = self.vocab.get(word, unk)
            if index is None:
                raise LocalTokenizerError(f"{word!r} is not in the vocabulary and it has no unk")
            ids.append(index)
        return self.prefix + ids + self.suffix if add_special_tokens else ids

    def decode(self, ids, skip_special_tokens=False):
        words = []
        for index in ids:
            index = int(index)
            if skip_special_tokens and index in self.special_ids:
                continue
            token = self.tokens.get(index)
            if token is not None:
                words.append(token)
        return " ".join(words)


def load(folder):
    """``AutoTokenizer.from_pretrained`` where transformers is installed, else the reader."""
    try:
        from transformers import AutoTokenizer
    except ImportError:
        return WordLevelTokenizer(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left", trust_remote_code=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
