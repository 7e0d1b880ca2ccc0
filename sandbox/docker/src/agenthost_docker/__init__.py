"""agenthost sandbox backend on Docker: ``DockerBackend``, ``DockerOptions``, ``build_image``."""

from .backend import DockerBackend, DockerExecutor
from .image import DEFAULT_IMAGE, ImageBuildError, build_image
from .options import DockerOptions

__all__ = [
    "DEFAULT_IMAGE",
    "DockerBackend",
    "DockerExecutor",
    "DockerOptions",
    "ImageBuildError",
    "build_image",
]
