"""Make a Caikit-NLP model folder (config.yml + artifacts/) from a directory of model files.

Usage: caikit_bootstrap.py KIND WEIGHTS_DIR OUTPUT_DIR, KIND being embedding or reranker.
"""

import sys


def main(kind, weights, output):
    if kind == "embedding":
        from caikit_nlp.modules.text_embedding import EmbeddingModule as module
    elif kind == "reranker":
        from caikit_nlp.modules.text_embedding import CrossEncoderModule as module
    else:
        sys.exit("unknown kind %r: use embedding or reranker" % kind)
    module.bootstrap(weights).save(output)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
