"""Analyses that explain a language's gap rather than measure it, each stored per model and
shown in `xbench report` and on the leaderboard:

- tokenizers: the tokenizer tax (tokens for the same text over English's), `xbench tokenizers`
- romanize: the script barrier (the same input romanized), `xbench run --romanized`
- typology: transfer predicted from URIEL distances to English, `xbench typology`
- routing: MoE routing divergence to English per layer, `xbench routing`
"""
