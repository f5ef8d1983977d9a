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
# # 項目の評価
#
# 公開するページでは、このタイトルの代わりに項目名入りの見出しを表示します(setup セルの出力)。

# %% tags=["parameters"]
plan_id: str = "2"  # 項目の計画の計画ID (plans.csv の「計画ID」)
item_no: int = 1  # 項目番号 (items.csv の「項目番号」)
data_dir: str = "data/higashiyamato"  # データフォルダ (リポジトリからの相対パスまたは絶対パス)
as_of: str = ""  # 評価時点 (例: 平成24年度末)。空欄なら最新の評価まで
pdf: bool = True  # PDF 版へのリンクを載せる (plan-report build が設定)
report_output: str = ""  # 公開するファイル名 (plan-report build が設定)。空欄ならリンクなし
plan_report: str = ""  # 計画の報告書のファイル名 (plan-report build が設定)。空欄ならリンクなし

# %%
from helpers import report

item = report.item_context(
    plan_id=plan_id,
    item_no=item_no,
    data_dir=data_dir,
    as_of=as_of,
    pdf=pdf,
    report_output=report_output,
    plan_report=plan_report,
)
item.heading()

# %% [markdown]
# ## 最新の評価
#
# 最後に評価した時点の取組状況（委員会が決めた最終の評価）、担当課の一次評価、今後の方向性です。

# %%
item.summary()

# %% [markdown]
# ## 取組の内容
#
# 計画に掲げた取組の内容と、取組目標・担当課です。

# %%
item.description()

# %% [markdown]
# ## 評価の推移
#
# 評価した時点ごとの取組状況と、担当課の一次評価・評価理由・今後の方向性です。

# %%
item.history()

# %% [markdown]
# ## 実績と課題
#
# 担当課が報告した、その年度に行ったこと（実績）と残っている課題です。

# %%
item.results()

# %% [markdown]
# ## 委員会の意見
#
# この項目について委員会が述べた意見です。

# %%
item.committee()

# %% [markdown]
# ## 指標
#
# この項目を測る指標の実績値と評価、策定時からの推移です。

# %%
item.indicators()

# %% [markdown]
# ## このページについて
#
# 発行者、公表日、問い合わせ先、利用条件と、引用するときの書き方です。

# %%
item.about()
