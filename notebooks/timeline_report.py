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

# %% [markdown]
# # 主な情報化施策の年表

# %% tags=["parameters"]
data_dir: str = "data/higashiyamato"  # データフォルダ (リポジトリからの相対パスまたは絶対パス)

# %%
from helpers import report

timeline = report.timeline_context(data_dir=data_dir)
timeline.heading()

# %% [markdown]
# ## 年表
#
# 年度(4月から翌年3月まで)ごとに、システムの稼働や計画の策定などの出来事を示します。
# 帯は各計画の計画期間です。

# %%
timeline.timeline_figure()

# %% [markdown]
# ## 計画期間ごとの稼働・導入
#
# 各計画の期間中に稼働・導入・更新した施策の数です。

# %%
timeline.golive_figure()

# %% [markdown]
# ## 出来事の一覧
#
# 出典に記載された出来事のすべてです。時期が記載されていないものは「時期の記載なし」としています。

# %%
timeline.event_table()

# %% [markdown]
# ## 出典と方法

# %%
timeline.sources()
