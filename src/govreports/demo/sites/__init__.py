"""The five imitation sites (TRS ×2, Hanweb, gkmlpt, gov.cn), one module per CMS family."""
