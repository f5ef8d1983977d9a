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
# # 年表
#
# 公開する報告書では、このタイトルの代わりに市の名前入りの見出しを表示します(setup セルの出力)。

# %% tags=["parameters"]
data_dir: str = "data/higashiyamato"  # データフォルダ (リポジトリからの相対パスまたは絶対パス)
pdf: bool = True  # PDF 版へのリンクを載せる (plan-report build が設定)
report_output: str = ""  # 公開するファイル名 (plan-report build が設定)。空欄ならリンクなし
first_year: str = ""  # 図の最初の年度 (例: 昭和43年度)。空欄なら出典の年表と同じ

# %%
from helpers import report

timeline = report.timeline_context(
    data_dir=data_dir, pdf=pdf, report_output=report_output, first_year=first_year
)
timeline.heading()

# %% [markdown]
# ## 年表
#
# 年度（4月から翌年3月まで）ごとに、計画の策定、システムの稼働・導入、市の外の出来事などを1行ずつ示します。縦の帯は各計画の計画期間、帯を横切る線は年度の記載がなく「計画期間中」とだけ分かる出来事です。図の下のデータ表には、図に入らない出来事も含めたすべての出来事を、出典の頁と備考とともに載せています。

# %%
timeline.timeline_figure()

# %% [markdown]
# ## 計画期間ごとの稼働・導入
#
# 各計画の期間中に稼働・導入・更新などした施策の数です。年度の記載がなく計画期間中とだけ分かるものも、その計画に数えています。

# %%
timeline.golive_figure()

# %% [markdown]
# ## 用語の説明
#
# この年表に出てくる用語の意味です。

# %%
timeline.glossary()

# %% [markdown]
# ## 出典と方法

# %%
timeline.sources()

# %% [markdown]
# ## この報告書について
#
# 発行者、公表日、問い合わせ先、利用条件と、引用するときの書き方です。

# %%
timeline.about()
