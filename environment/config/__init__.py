"""The stack-config model: one pydantic tree for a whole environment.

``StackConfig`` is what a stack file (``Pulumi.<stack>.yaml``) holds under the ``platform:``
namespace, one key per section, plus ``aws:region``. ``load_stack_config`` validates it once,
at the edge, before any resource is registered.
"""

from .loader import PROJECT, ConfigError, load_stack_config, parse_stack_config
from .model import StackConfig

__all__ = [
    "PROJECT",
    "ConfigError",
    "StackConfig",
    "load_stack_config",
    "parse_stack_config",
]
