"""The imitation sites (TRS ×2, Hanweb by POST and by GET pages, gkmlpt, gov.cn, custom markup, a chinatax-like JSON
API, a jpaas unit build API, a gated TRS column), one module per CMS family or variant."""
