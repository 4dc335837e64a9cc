"""Layer stacks declared in TOML: output shapes, parameters and MACs per layer, also for a symbolic input.

``load``/``from_dict`` read and validate a network (``reading``, ``schema``); ``build`` gives its table
(``table``); ``valid_inputs`` finds every input size for which each layer has an output of at least 1 and the
flattened size matches the linear layer that follows (``valid``).
"""
from ..errors import DlderiveError
from .reading import Network, from_dict, load, parse_input
from .schema import LAYERS, MAX_LAYERS, MODELS
from .table import BATCHNORM_PARAMS, LINEAR_MACS, LINEAR_PARAMS, Row, Table, build
from .valid import ValidInputs, valid_inputs

__all__ = ["BATCHNORM_PARAMS", "DlderiveError", "LAYERS", "LINEAR_MACS", "LINEAR_PARAMS", "MAX_LAYERS", "MODELS",
           "Network", "Row", "Table", "ValidInputs", "build", "from_dict", "load", "parse_input", "valid_inputs"]
