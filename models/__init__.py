"""Risk models: point-in-time features, targets, LightGBM training and validation, registry, SHAP, scoring."""
import os

# LightGBM's OpenMP threads spin while they wait for work; on a shared 2-core machine that busy-waiting made
# training ten times slower (43 s instead of 5 s for 100 trees). Passive waiting must be set before the OpenMP
# runtime starts, i.e. before lightgbm is first imported; an explicit setting in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
