<?php
/**
 * Tells StoreChat when a page or post is published, updated, unpublished,
 * trashed or deleted, so the assistant answers from the new text within
 * seconds; and when the site disconnects.
 *
 * Notification, format v1: POST {server}/webhooks/wordpress with a JSON body
 * {"topic": "content/changed" | "content/deleted" | "site/disconnected",
 *  "kind": "page" | "post", "id": <post id>, "sent_at": <Unix seconds>}
 * and the headers X-StoreChat-Site (home_url() without a trailing slash),
 * X-StoreChat-Delivery (random, the same on every retry) and
 * X-StoreChat-Signature = lowercase hex HMAC-SHA256, keyed with the identity
 * secret, of "storechat-wp-content-v1:" followed by the raw body.
 *
 * Notifications are sent when the request ends (one per item). One StoreChat
 * does not take (unreachable, or an answer other than 2xx/4xx) waits in the
 * option storechat_outbox and is sent again by WP-Cron, after 1, 2, 4 ...
 * minutes (at most an hour apart), for a day. StoreChat re-reads the item from
 * the REST API, so a late notification never brings back an old text.
 *
 * @package StoreChat
 */

defined( 'ABSPATH' ) || exit;

/**
 * The content hooks, the sender and its retry queue.
 */
final class StoreChat_Notify {

	const CRON_HOOK = 'storechat_retry_notifications';
	const PREFIX = 'storechat-wp-content-v1:';
	const TIMEOUT = 3;
	const MAX_AGE = 86400;
	const MAX_QUEUED = 500;
	const TYPES = array( 'page', 'post' );

	/**
	 * This request's notifications, by item.
	 *
	 * @var array<string, array>
	 */
	private static $pending = array();

	/** Hooks. */
	public static function init() {
		add_action( 'transition_post_status', array( __CLASS__, 'status_changed' ), 10, 3 );
		add_action( 'before_delete_post', array( __CLASS__, 'deleted' ), 10, 1 );
		add_action( 'shutdown', array( __CLASS__, 'flush' ) );
		add_action( self::CRON_HOOK, array( __CLASS__, 'retry' ) );
	}

	/** Connected: a server, a site key and an identity secret to sign with. */
	public static function connected() {
		$settings = StoreChat_Options::get();
		return StoreChat_Options::is_configured() && '' !== $settings['identity_secret'];
	}

	/**
	 * A post changed status (also publish -> publish: an update).
	 *
	 * @param string  $new_status New status.
	 * @param string  $old_status Old status.
	 * @param WP_Post $post       The post.
	 */
	public static function status_changed( $new_status, $old_status, $post ) {
		if ( ! is_object( $post ) || ! in_array( $post->post_type, self::TYPES, true ) ) {
			return;
		}
		if ( 'publish' !== $new_status && 'publish' !== $old_status ) {
			return; // a draft saved: nothing StoreChat has or shows
		}
		$topic = 'trash' === $new_status ? 'content/deleted' : 'content/changed';
		self::queue( $topic, $post->post_type, (int) $post->ID );
	}

	/**
	 * A post is being deleted for good.
	 *
	 * @param int $post_id The post id.
	 */
	public static function deleted( $post_id ) {
		$post = get_post( $post_id );
		if ( $post && in_array( $post->post_type, self::TYPES, true ) ) {
			self::queue( 'content/deleted', $post->post_type, (int) $post_id );
		}
	}

	/**
	 * Remember a notification for the end of this request (the last one per item wins).
	 *
	 * @param string $topic Topic.
	 * @param string $kind  page or post.
	 * @param int    $id    Post id.
	 */
	private static function queue( $topic, $kind, $id ) {
		if ( self::connected() ) {
			self::$pending[ $kind . ':' . $id ] = array(
				'topic' => $topic,
				'kind'  => $kind,
				'id'    => $id,
			);
		}
	}

	/** At the end of the request: send what this request changed. */
	public static function flush() {
		$pending = self::$pending;
		self::$pending = array();
		foreach ( $pending as $body ) {
			self::send_now( $body );
		}
	}

	/**
	 * Send one notification now; queue it for WP-Cron when StoreChat does not take it.
	 *
	 * @param array $body topic (and kind, id).
	 * @return bool Whether StoreChat took it.
	 */
	public static function send_now( $body ) {
		if ( ! self::connected() ) {
			return false;
		}
		$item = array(
			'delivery' => bin2hex( random_bytes( 16 ) ),
			'body'     => array_merge( $body, array( 'sent_at' => time() ) ),
			'attempts' => 0,
			'first'    => time(),
		);
		if ( self::deliver( $item ) ) {
			return true;
		}
		if ( ! in_array( $body['topic'], array( 'site/disconnected', 'site/uninstalled' ), true ) ) { // the keys are about to go: nothing could sign a retry
			self::enqueue( $item );
		}
		return false;
	}

	/**
	 * POST one notification; true when StoreChat answered (2xx, or 4xx: retrying would not help).
	 *
	 * @param array $item The queued notification.
	 * @return bool
	 */
	private static function deliver( $item ) {
		$settings = StoreChat_Options::get();
		$raw = wp_json_encode( $item['body'] );
		$response = wp_remote_post(
			$settings['server_url'] . '/webhooks/wordpress',
			array(
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'headers'     => array(
					'Content-Type'          => 'application/json',
					'X-StoreChat-Site'      => StoreChat_Connect::site_url(),
					'X-StoreChat-Delivery'  => $item['delivery'],
					'X-StoreChat-Signature' => hash_hmac( 'sha256', self::PREFIX . $raw, $settings['identity_secret'] ),
				),
				'body'        => $raw,
			)
		);
		if ( is_wp_error( $response ) ) {
			return false;
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		return $code >= 200 && $code < 500 && 429 !== $code;
	}

	/**
	 * Keep a notification for WP-Cron.
	 *
	 * @param array $item The notification.
	 */
	private static function enqueue( $item ) {
		$outbox = get_option( StoreChat_Options::OUTBOX_OPTION, array() );
		$outbox = is_array( $outbox ) ? $outbox : array();
		$outbox[] = $item;
		update_option( StoreChat_Options::OUTBOX_OPTION, array_slice( $outbox, -self::MAX_QUEUED ), false );
		self::schedule( 1 );
	}

	/**
	 * Schedule the retry run, unless one is scheduled.
	 *
	 * @param int $attempts Attempts so far (the wait doubles).
	 */
	private static function schedule( $attempts ) {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time() + min( 3600, 60 * ( 2 ** max( 0, $attempts - 1 ) ) ), self::CRON_HOOK );
		}
	}

	/** WP-Cron: send what waits; keep what StoreChat still does not take. */
	public static function retry() {
		$outbox = get_option( StoreChat_Options::OUTBOX_OPTION, array() );
		if ( ! is_array( $outbox ) || ! $outbox || ! self::connected() ) {
			delete_option( StoreChat_Options::OUTBOX_OPTION );
			return;
		}
		$left = array();
		$most = 0;
		foreach ( $outbox as $item ) {
			if ( ! is_array( $item ) || ! isset( $item['body'], $item['delivery'], $item['first'] ) || time() - (int) $item['first'] > self::MAX_AGE ) {
				continue;
			}
			if ( ! self::deliver( $item ) ) {
				$item['attempts'] = (int) $item['attempts'] + 1;
				$most = max( $most, $item['attempts'] );
				$left[] = $item;
			}
		}
		if ( $left ) {
			update_option( StoreChat_Options::OUTBOX_OPTION, $left, false );
			self::schedule( $most );
		} else {
			delete_option( StoreChat_Options::OUTBOX_OPTION );
		}
	}
}
