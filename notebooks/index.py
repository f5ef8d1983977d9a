# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["remove-cell"]
# # 評価報告書の一覧
#
# 公開する報告書では、このタイトルの代わりに city.yaml の題名を見出しに表示します(setup セルの出力)。

# %% tags=["parameters"]
data_dir: str = "data/higashiyamato"  # データフォルダ (リポジトリからの相対パスまたは絶対パス)
report_set: str = "notebooks/reports.yaml"  # 報告書の一覧を定めた設定ファイル
pdf: bool = True  # PDF 版へのリンクを載せる (plan-report build --no-pdf では False)

# %%
from helpers import report

index = report.index_context(data_dir=data_dir, report_set=report_set, pdf=pdf)
index.heading()

# %% [markdown]
# ## 計画ごとの評価
#
# 各計画の評価報告書と、その要点（達成率と分母、評価時点）です。

# %%
index.report_list()

# %% [markdown]
# ## 計画の比較
#
# これまでの計画の達成率です。報告された値しかない計画は「報告値」として区別しています。

# %%
index.comparison_figure()

# %% [markdown]
# ## オープンデータ
#
# 報告書の数値は、表計算ソフトで開けるCSV形式でも公開しています。

# %%
index.open_data()

# %% [markdown]
# ## この報告書について
#
# 発行者、公表日、問い合わせ先、利用条件と、引用するときの書き方です。

# %%
index.about()
