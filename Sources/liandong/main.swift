import LiandongServer

await Entrypoint.run()
