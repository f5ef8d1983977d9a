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
# # 計画の評価報告書
#
# 公開する報告書では、このタイトルの代わりに計画名入りの見出しを表示します(setup セルの出力)。

# %% tags=["parameters"]
plan_id: str = "2"  # 評価する計画の計画ID (plans.csv の「計画ID」)
data_dir: str = "data/higashiyamato"  # データフォルダ (リポジトリからの相対パスまたは絶対パス)
as_of: str = ""  # 評価時点 (例: 平成24年度末)。空欄なら最新の評価
pdf: bool = True  # PDF 版へのリンクを載せる (plan-report build が設定)
report_output: str = ""  # 公開するファイル名 (plan-report build が設定)。空欄ならリンクなし
item_pages: str = ""  # 項目ページの出力名の型 (plan-report build が設定)。空欄ならリンクなし

# %%
from helpers import report

plan = report.plan_context(
    plan_id=plan_id,
    data_dir=data_dir,
    as_of=as_of,
    pdf=pdf,
    report_output=report_output,
    item_pages=item_pages,
)
plan.heading()

# %% [markdown]
# ## 評価の要点
#
# 計画に掲げた項目のうち、どれだけが目標を達成したかを示します。分母（評価した項目の数）とあわせてご覧ください。

# %%
plan.headline()

# %% [markdown]
# ## 評価の区分
#
# 各項目の取組状況は、次の区分で評価しています。

# %%
plan.scale_table()

# %% [markdown]
# ## 取組状況の分布
#
# 評価区分ごとの項目数と割合です。

# %%
plan.status_figure()

# %% [markdown]
# ## 取組目標別の状況
#
# 取組目標（計画で各項目に定めた目標の種類）ごとに、取組状況の内訳を示します。

# %%
plan.target_figure()

# %% [markdown]
# ## 重点目標別の状況
#
# 重点目標（分野）ごとに、取組状況の内訳を示します。

# %%
plan.category_figure()

# %% [markdown]
# ## 評価の推移
#
# 複数の時点で評価した計画について、取組状況の割合の推移を示します。

# %%
plan.history_figure()

# %% [markdown]
# ## 項目ごとの変化
#
# 評価の時点ごとに、各項目の取組状況がどの区分からどの区分へ変わったかを示します。

# %%
plan.changes_figure()

# %% [markdown]
# ## 指標の達成状況
#
# 計画で定めた指標（成果指標）の実績値を、策定時の基準値と目標値に照らして、計画の評価基準で評価します。

# %%
plan.indicators()

# %% [markdown]
# ## 項目一覧

# %%
plan.item_table()

# %% [markdown]
# ## 担当課別の状況
#
# 項目を担当する課ごとに、取組状況の内訳を示します。

# %%
plan.departments()

# %% [markdown]
# ## 委員会の意見
#
# 最新の評価について、委員会が計画全体と項目ごとに述べた意見です。

# %%
plan.committee()

# %% [markdown]
# ## 計画期間の主な出来事
#
# 計画期間中の主な出来事（稼働・導入、計画の策定、市の外の出来事など）です。

# %%
plan.timeline_figure()

# %% [markdown]
# ## 計画どうしの比較
#
# この市のこれまでの計画の達成率を並べて示します。出典に項目ごとの評価がなく、報告された値しかない計画は「報告値」として区別しています。

# %%
plan.comparison_figure()

# %% [markdown]
# ## 用語の説明
#
# この報告書に出てくる用語の意味です。

# %%
plan.glossary()

# %% [markdown]
# ## 出典と方法

# %%
plan.sources()

# %% [markdown]
# ## この報告書について
#
# 発行者、公表日、問い合わせ先、利用条件と、引用するときの書き方です。

# %%
plan.about()
