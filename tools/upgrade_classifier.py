"""Re-save a classifier saved before semisuper had the `Classifier` task model (a plain functional model: image ->
encoder -> head layers -> "logits") as a `Classifier` with `.backbone`, `.neck` and `.logits`, the same layers and
weights; checks that both give the same logits on random images before writing.

    KERAS_BACKEND=tensorflow python tools/upgrade_classifier.py OLD.keras NEW.keras

Grad-CAM (`semisuper.explain`) and the app need the task model; run this once on an older `.keras` file."""
import sys

import keras
import numpy as np

from semisuper.finetune import Classifier
from semisuper.models import ResNet, load_model

if len(sys.argv) != 3: sys.exit(__doc__)
old = load_model(sys.argv[1], compile=False)
if isinstance(old, Classifier): sys.exit(f"{sys.argv[1]} is a Classifier already")
# an old classifier's layers, in order: the image input, the encoder, the head layers it kept, the logits
found = [layer for layer in old.layers if not isinstance(layer, keras.layers.InputLayer)]
backbone, neck, logits = found[0], found[1:-1], found[-1]
if not isinstance(backbone, ResNet) or logits.name != "logits": sys.exit(f"{sys.argv[1]} is not a semisuper classifier")
new = Classifier(backbone, keras.Sequential(neck, name="neck") if neck else None, logits.units, name=old.name)
new.logits.set_weights(logits.get_weights())
x = np.random.default_rng(0).random((8, *old.input_shape[1:]), dtype=np.float32)
difference = float(np.abs(keras.ops.convert_to_numpy(old(x)) - keras.ops.convert_to_numpy(new(x))).max())
if difference > 1e-6: sys.exit(f"the upgraded model answers differently (max |logit difference| {difference:g}): not written")
new.save(sys.argv[2])
print(f"{sys.argv[2]}: Classifier({type(backbone).__name__}, neck {[l.name for l in neck]}, {logits.units} classes); "
      f"max |logit difference| {difference:g}")
