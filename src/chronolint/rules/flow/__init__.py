"""Flow rules (CHR301–CHR303): None-unsafe timestamp arithmetic and naive/aware mixing,
from one forward pass per function (`analysis.py`) shared by the three rules."""
