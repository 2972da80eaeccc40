import LiandongServer
placeholder()
