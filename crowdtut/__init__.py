"""crowdtut: learning from crowdsourced labels.

``import crowdtut`` stays light (numpy, pandas, scipy); torch is imported only by
:mod:`crowdtut.deep` and matplotlib only by :mod:`crowdtut.plotting`.
"""

from .answers import CrowdAnswers, encode_answers

__version__ = "0.1.0"
__all__ = ["CrowdAnswers", "encode_answers", "__version__"]
