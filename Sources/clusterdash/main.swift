print("clusterdash")
